"""replies.services.rating: the proposer's rating, one or many; 不满意 reopens the proposal."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from core.versioning import public_version
from proposals import services as workflow
from replies.models import Satisfaction
from replies.services import rating

pytestmark = pytest.mark.django_db


def test_unsatisfied_reopens_the_proposal_and_tells_the_department(
    world, django_capture_on_commit_callbacks
):
    reply = world["own"]["reply"]
    with django_capture_on_commit_callbacks(execute=True):
        rating.rate_reply(reply=reply, satisfaction="unsatisfied", comment="措施不够具体")
    reply.refresh_from_db()
    assert reply.satisfaction == Satisfaction.UNSATISFIED
    proposal = reply.proposal
    proposal.refresh_from_db()
    assert proposal.status == "assigned"
    assert [m.to for m in mail.outbox] == [["kj@example.gov.cn"]]
    assert "措施不够具体" in mail.outbox[0].body


def test_rate_replies_rates_many_as_rate_reply_rates_one(world, django_capture_on_commit_callbacks):
    """Ratings entered together: stored with history, a closed proposal rated 不满意
    reopened for re-handling, its department told after the commit, one version bump."""
    own, other = world["own"], world["other"]
    workflow.transition(proposal=other["proposal"], to="closed")
    before = public_version()
    with django_capture_on_commit_callbacks(execute=True):
        rating.rate_replies(
            [
                rating.Rating(reply=own["reply"], satisfaction="satisfied"),
                rating.Rating(reply=other["reply"], satisfaction="unsatisfied", comment="未落实"),
            ]
        )
    assert public_version()[0] == before[0] + 1
    own["reply"].refresh_from_db()
    other["reply"].refresh_from_db()
    assert own["reply"].satisfaction == Satisfaction.SATISFIED and own["reply"].rated_at
    assert other["reply"].satisfaction_comment == "未落实"
    assert other["reply"].history.first().satisfaction == Satisfaction.UNSATISFIED
    other["proposal"].refresh_from_db()
    own["proposal"].refresh_from_db()
    assert other["proposal"].status == "assigned"
    assert own["proposal"].status == "replied"
    assert [m.to for m in mail.outbox] == [["jy@example.gov.cn"]]


def test_rate_replies_refuses_all_when_one_is_not_public(world):
    own, other = world["own"], world["other"]
    other["reply"].published_at = None
    other["reply"].save()
    with pytest.raises(ValidationError, match="答复公开后才能评价"):
        rating.rate_replies(
            [
                rating.Rating(reply=own["reply"], satisfaction="satisfied"),
                rating.Rating(reply=other["reply"], satisfaction="satisfied"),
            ]
        )
    own["reply"].refresh_from_db()
    assert own["reply"].satisfaction == ""
