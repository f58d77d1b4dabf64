"""portal.views.members: a member's own proposals (drafts too) and rating a reply."""

import pytest
from django.urls import reverse

from replies.models import Satisfaction
from tests import factories
from tests.helpers import body, count_queries

pytestmark = pytest.mark.django_db


def test_member_sees_own_drafts_and_rates_a_reply(client, world):
    reply = world["own"]["reply"]
    draft = factories.ReplyFactory(
        proposal=world["own"]["proposal"],
        body="尚未公开的会办意见",
        published_at=None,
        department=world["other"]["department"],
        role="co_opinion",
    )
    client.force_login(world["users"]["member"])
    html = client.get(reverse("portal:mine")).content.decode()
    assert "尚未公开的会办意见" in html and "草稿" in html
    assert draft.proposal.title in html
    response = client.post(
        reverse("portal:rate", args=[reply.pk]),
        {"satisfaction": "basically", "comment": "措施较具体"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("portal:mine"), 302)]
    assert "感谢您的评价。" in body(response)
    reply.refresh_from_db()
    assert (reply.satisfaction, reply.satisfaction_comment) == (
        Satisfaction.BASICALLY,
        "措施较具体",
    )


def test_member_cannot_rate_someone_elses_reply(client, world):
    client.force_login(world["users"]["member"])
    response = client.post(
        reverse("portal:rate", args=[world["other"]["reply"].pk]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 404
    world["other"]["reply"].refresh_from_db()
    assert world["other"]["reply"].satisfaction == ""


def test_own_proposals_page_runs_constant_queries(client, world, member_proposals, uncached):
    """A member's page, drafts and commitments included, runs the same queries for 3 of
    their proposals and for 12."""
    client.force_login(world["users"]["member"])
    member_proposals(2)
    few = count_queries(client, reverse("portal:mine"))
    member_proposals(9)
    assert count_queries(client, reverse("portal:mine")) == few


def test_unsatisfied_goes_through_a_confirmation_step(client, world):
    """不满意 first shows what will happen (sent back to the department for re-handling)
    and stores nothing; confirmed, the rating is stored and the proposal reads 退回重办."""
    reply = world["own"]["reply"]
    proposal = world["own"]["proposal"]
    client.force_login(world["users"]["member"])
    url = reverse("portal:rate", args=[reply.pk])
    response = client.post(url, {"satisfaction": "unsatisfied", "comment": "措施不具体"})
    assert response.status_code == 200
    html = body(response)
    assert "确认评价为“不满意”" in html
    assert f"退回{reply.department.name}重新办理" in html
    assert 'name="confirm" value="yes"' in html and "措施不具体" in html
    reply.refresh_from_db()
    assert reply.satisfaction == ""
    response = client.post(
        url,
        {"satisfaction": "unsatisfied", "comment": "措施不具体", "confirm": "yes"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("portal:mine"), 302)]
    reply.refresh_from_db()
    proposal.refresh_from_db()
    assert reply.satisfaction == Satisfaction.UNSATISFIED
    assert proposal.status == "assigned"
    html = body(response)
    assert "退回重办" in html
    assert f"已退回{reply.department.name}重新办理" in html
    meta = html[html.index(proposal.title) :]
    assert "已交办" not in meta[: meta.index("</p>")]
