"""core.caching: public pages and roll-ups are cached, and any write shows at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from replies.models import CommitmentItem, CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import text

pytestmark = pytest.mark.django_db


def _publish(title: str, body: str):
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title=title), body=body, published_at=None
    )
    publication.publish_reply(reply=reply)
    return reply


@pytest.mark.django_db
def test_cached_pages_change_when_a_reply_is_published(client):
    """Public pages are cached, and publishing changes what they show at once."""
    first = _publish("关于建设口袋公园的建议", "建设口袋公园")
    url = "/proposals/?q=口袋公园"
    assert first.proposal.title in text(client.get(url))
    draft = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于口袋公园管护的建议"),
        body="加强口袋公园管护",
        published_at=None,
    )
    assert "管护" not in text(client.get(url))
    publication.publish_reply(reply=draft)
    assert "关于口袋公园管护的建议" in text(client.get(url))
    publication.withdraw_reply(reply=draft, reason="测试：撤回", actor=None)
    assert "关于口袋公园管护的建议" not in text(client.get(url))
    home = client.get("/").content.decode()
    publication.publish_reply(reply=draft)
    assert client.get("/").content.decode() != home


def test_dashboard_cache_follows_writes(client, world):
    """The roll-ups are cached, and any write through the services shows at once."""
    first = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    publication.create_commitment(
        commitment=factories.CommitmentFactory.build(
            reply=world["own"]["reply"], owner=world["own"]["department"], number=8
        )
    )
    second = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    assert second == first + 1
    publication.withdraw_reply(reply=world["own"]["reply"], reason="测试：撤回", actor=None)
    third = client.get(reverse("portal:dashboard")).context["totals"]["commitments"]
    assert third == first - 1


def test_commitment_counts_are_shared_by_the_pages_of_a_filter(client, public_data):
    """Counting is the slow part at a million rows: page 2 of a filter reuses page 1's
    counts (the paginator's total included), until something is written."""
    public_data(26)  # 52 commitments: two pages of 50
    url = reverse("portal:commitments")
    first = client.get(url, {"status": "in_progress"})
    assert first.context["page"].paginator.count == 52
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url, {"status": "in_progress", "page": 2})
    assert len(second.context["page"].object_list) == 2
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
    item = CommitmentItem.objects.first()
    progress.post_update(commitment=item, status=CommitmentStatus.FULFILLED)
    again = client.get(url, {"status": "in_progress", "page": 2})
    assert again.context["counts"]["total"] == 51


def test_the_page_cache_says_whether_it_answered(client):
    """X-Cache: miss when the view ran, hit when the page cache answered (the benchmark's
    hit ratio is counted from it); a write makes the next answer a miss again."""
    reply = _publish("关于建设口袋公园的建议", "建设口袋公园")
    assert client.get("/")["X-Cache"] == "miss"
    assert client.get("/")["X-Cache"] == "hit"
    publication.withdraw_reply(reply=reply, reason="测试：撤回", actor=None)
    assert client.get("/")["X-Cache"] == "miss"
