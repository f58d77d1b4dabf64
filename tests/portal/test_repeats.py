"""此前相关提案 on the public proposal page: the earlier public proposals only, with their
classes and commitment counts, in the page's fixed number of queries."""

import pytest

from proposals.models import RelatedProposal
from replies.models import CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import body, count_queries

pytestmark = pytest.mark.django_db


def _published(session, title, *, classification="B", statuses=()):
    proposal = factories.ProposalFactory(session=session, title=title)
    reply = factories.ReplyFactory(
        proposal=proposal, published_at=None, classification=classification
    )
    for number, status in enumerate(statuses, 1):
        item = factories.CommitmentFactory(reply=reply, number=number)
        progress.post_update(commitment=item, status=status)
    publication.publish_reply(reply=reply)
    return proposal


@pytest.fixture
def repeat():
    committee = factories.CommitteeFactory()
    first, second, third = (
        factories.SessionFactory(committee=committee, term=15, meeting=meeting, year=2020 + meeting)
        for meeting in (1, 2, 3)
    )
    earlier = _published(
        first,
        "关于推进老旧小区加装电梯的建议",
        classification="A",
        statuses=[CommitmentStatus.FULFILLED, CommitmentStatus.IN_PROGRESS],
    )
    # Linked too, but its reply is a draft: the public never sees it.
    hidden = factories.ProposalFactory(session=second, title="关于老旧小区加装电梯难题的建议")
    factories.ReplyFactory(proposal=hidden, published_at=None, body="草稿：内部意见")
    later = _published(
        third, "关于持续解决老旧小区加装电梯难题的提案", statuses=[CommitmentStatus.NOT_STARTED]
    )
    RelatedProposal.objects.get_or_create(proposal=later, earlier=hidden, defaults={"score": 0.9})
    return {"earlier": earlier, "hidden": hidden, "later": later}


def test_the_page_lists_the_earlier_public_proposal(client, repeat):
    page = body(client.get(repeat["later"].get_absolute_url()))
    assert "此前相关提案" in page
    assert repeat["earlier"].get_absolute_url() in page
    assert "A类（已解决或采纳）" in page
    assert "承诺 2 项，已完成 1 项" in page


def test_the_page_never_shows_a_proposal_without_a_published_reply(client, repeat):
    page = body(client.get(repeat["later"].get_absolute_url()))
    assert repeat["hidden"].title not in page
    assert "草稿" not in page


def test_the_earlier_page_has_no_such_section(client, repeat):
    """The link goes from the later proposal to the earlier one only."""
    page = body(client.get(repeat["earlier"].get_absolute_url()))
    assert "此前相关提案" not in page


def test_the_section_costs_no_query(client, uncached, repeat):
    """Read with the proposal itself: the page with related proposals runs the same
    queries as a page without any (at most ten, tests/portal/test_public.py)."""
    url = repeat["later"].get_absolute_url()
    with_related = count_queries(client, url)
    assert "此前相关提案" in body(client.get(url))
    RelatedProposal.objects.filter(proposal=repeat["later"]).delete()
    assert with_related == count_queries(client, url)
    assert with_related <= 10
