"""replies.services.rating: the proposer's rating; 不满意 reopens the proposal."""

import pytest
from django.core import mail

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
