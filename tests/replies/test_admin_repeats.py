"""The proposal office's 重复提出 flag in the admin: the changelist filter and the earlier
related proposals, with the reason, on the proposal's change page."""

import pytest
from django.urls import reverse

from proposals.models import Proposal
from replies.services import publication, repeats
from tests import factories

pytestmark = pytest.mark.django_db


def _proposal(session, title, *, classification="B", publish=True, department=None):
    proposal = factories.ProposalFactory(
        session=session, title=title, **({"lead_department": department} if department else {})
    )
    reply = factories.ReplyFactory(
        proposal=proposal, published_at=None, classification=classification
    )
    if publish:
        publication.publish_reply(reply=reply)
    return proposal


@pytest.fixture
def flagged(world):
    committee = factories.CommitteeFactory()
    first, second = (
        factories.SessionFactory(committee=committee, term=15, meeting=meeting, year=2020 + meeting)
        for meeting in (1, 2)
    )
    solved = _proposal(first, "关于推进老旧小区加装电梯的建议", classification="A")
    again = _proposal(
        second, "关于持续解决老旧小区加装电梯难题的提案", department=world["own"]["department"]
    )
    plain = _proposal(second, "关于发展夜间经济的建议")
    return {"solved": solved, "again": again, "plain": plain, **world}


def _changelist(client, **query):
    return client.get(reverse("admin:proposals_proposal_changelist"), query)


def test_the_filter_lists_repeats_of_solved_problems(client, flagged):
    client.force_login(flagged["users"]["office"])
    listed = _changelist(client, repeat="resolved")
    assert listed.status_code == 200
    assert [proposal.pk for proposal in listed.context["cl"].result_list] == [flagged["again"].pk]
    assert "重复提出" in _changelist(client).content.decode()
    anything = _changelist(client, repeat="any").context["cl"].result_list
    assert [proposal.pk for proposal in anything] == [flagged["again"].pk]


def test_the_change_page_names_the_earlier_one_and_why(client, flagged):
    client.force_login(flagged["users"]["office"])
    page = client.get(reverse("admin:proposals_proposal_change", args=[flagged["again"].pk]))
    text = page.content.decode()
    assert "此前相关提案（重复提出）" in text
    assert flagged["solved"].title in text
    assert "已答复解决却再次提出：此前答复为A类（已解决或采纳）" in text
    plain = client.get(reverse("admin:proposals_proposal_change", args=[flagged["plain"].pk]))
    assert "已答复解决却再次提出" not in plain.content.decode()


def test_a_clerk_sees_no_earlier_proposal_it_may_not_see(client, flagged):
    """The earlier one is another department's, not public: the clerk's page names
    nothing of it, and the filter finds nothing for the clerk."""
    solved = flagged["solved"]
    publication.withdraw_reply(reply=solved.replies.get(), reason="更正", actor=None)
    repeats.refresh([solved.pk])
    assert not Proposal.objects.get(pk=solved.pk).is_public
    client.force_login(flagged["users"]["clerk"])
    page = client.get(reverse("admin:proposals_proposal_change", args=[flagged["again"].pk]))
    assert page.status_code == 200
    assert solved.title not in page.content.decode()
    assert list(_changelist(client, repeat="any").context["cl"].result_list) == []
