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
            # A number no factory gives the fixture's commitments, whichever ran first.
            reply=world["own"]["reply"],
            owner=world["own"]["department"],
            number=99,
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


def _published_item(title: str):
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title=title), body="答复正文", published_at=None
    )
    item = factories.CommitmentFactory(reply=reply, owner=reply.department, heading="建设公园")
    publication.publish_reply(reply=reply)
    return item


def test_a_proposal_page_stays_cached_when_another_proposal_changes(client):
    """A proposal's page is cached by its own page version: an update to another
    proposal leaves it a hit with the same ETag (a browser's copy answers 304), while the
    other proposal's page shows the update at once."""
    mine, other = _published_item("甲提案"), _published_item("乙提案")
    mine_url = mine.reply.proposal.get_absolute_url()
    other_url = other.reply.proposal.get_absolute_url()
    first = client.get(mine_url)
    assert first["X-Cache"] == "miss"
    assert client.get(other_url)["X-Cache"] == "miss"
    progress.post_update(commitment=other, status=CommitmentStatus.IN_PROGRESS, note="已开工建设")
    again = client.get(mine_url)
    assert again["X-Cache"] == "hit"
    assert again["ETag"] == first["ETag"]
    assert client.get(mine_url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    changed = client.get(other_url)
    assert changed["X-Cache"] == "miss"
    assert "已开工建设" in text(changed)
    # The JSON of the page is keyed the same way.
    assert client.get(mine_url + "data.json")["X-Cache"] == "miss"
    progress.post_update(commitment=other, status=CommitmentStatus.FULFILLED, note="已建成")
    assert client.get(mine_url + "data.json")["X-Cache"] == "hit"


def test_a_change_to_a_proposal_moves_its_page(client):
    """Public changes to what a proposal's page shows make it fresh at once: a progress
    update, a new commitment, a withdrawal."""
    item = _published_item("丙提案")
    url = item.reply.proposal.get_absolute_url()

    client.get(url)
    assert client.get(url)["X-Cache"] == "hit"
    progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS, note="已完成选址")
    page = client.get(url)
    assert page["X-Cache"] == "miss" and "已完成选址" in text(page)
    assert client.get(url)["X-Cache"] == "hit"
    publication.create_commitment(
        commitment=factories.CommitmentFactory.build(
            reply=item.reply, owner=item.owner, number=9, heading="新增绿道"
        )
    )
    page = client.get(url)
    assert page["X-Cache"] == "miss" and "新增绿道" in text(page)
    assert client.get(url)["X-Cache"] == "hit"
    publication.withdraw_reply(reply=item.reply, reason="测试：撤回", actor=None)
    page = client.get(url)
    assert page.status_code == 410 and "新增绿道" not in text(page)


def test_a_change_of_unknown_scope_and_a_passing_deadline_move_a_proposal_page(client, monkeypatch):
    """A writer that cannot say which pages changed moves the broad version; and a page
    is kept only until the day one of its open commitments turns overdue."""
    import datetime

    from django.utils import timezone

    from core.versioning import bump_public_version

    item = _published_item("丁提案")
    item.due_on = timezone.localdate()
    item.save(update_fields=["due_on"])
    url = item.reply.proposal.get_absolute_url()
    client.get(url)
    assert client.get(url)["X-Cache"] == "hit"
    bump_public_version()
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    page = client.get(url)
    assert page["X-Cache"] == "miss" and "已逾期" in text(page)
