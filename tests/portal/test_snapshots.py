"""portal.snapshots: proposal pages rendered ahead of visitors after every change, served
only while current, never a stale or withdrawn one."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from core.models import PageSnapshot
from core.versioning import bump_public_version
from replies.models import CommitmentStatus
from replies.services import progress, publication
from tests import factories
from tests.helpers import text

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("snapshots_on"),
]


@pytest.fixture
def snapshots_on():
    with override_settings(PAGE_SNAPSHOTS=True, SITE_URL="http://testserver"):
        yield


@pytest.fixture
def item(django_capture_on_commit_callbacks):
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(title="关于建设口袋公园的建议"),
        body="答复正文",
        published_at=None,
    )
    item = factories.CommitmentFactory(
        reply=reply,
        owner=reply.department,
        heading="建设口袋公园",
        due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        publication.publish_reply(reply=reply)
    return item


def _snapshot(item):
    return PageSnapshot.objects.get(key__endswith="|" + item.reply.proposal.get_absolute_url())


def test_a_published_page_is_rendered_ahead_and_served_as_rendered(item):
    snapshot = _snapshot(item)
    assert snapshot.status == 200
    # The first visitor gets the stored page, byte for byte what a render gives.
    served = Client().get(item.reply.proposal.get_absolute_url())
    assert served["X-Cache"] == "snapshot"
    assert "建设口袋公园" in text(served)
    PageSnapshot.objects.all().delete()
    cache.clear()
    live = Client().get(item.reply.proposal.get_absolute_url())
    assert live["X-Cache"] == "miss"
    assert live.content == bytes(snapshot.body)
    # The day an open commitment turns overdue, the page is no longer the same.
    assert snapshot.valid_until == item.due_on + datetime.timedelta(days=1)


def test_a_change_renders_the_page_again(item, django_capture_on_commit_callbacks):
    before = _snapshot(item).token
    with django_capture_on_commit_callbacks(execute=True):
        progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS, note="已开工")
    assert _snapshot(item).token != before
    served = Client().get(item.reply.proposal.get_absolute_url())
    assert served["X-Cache"] == "snapshot" and "已开工" in text(served)


def test_a_stale_snapshot_is_never_served(item, django_capture_on_commit_callbacks):
    """A change whose page was not rendered again (a worker down): visitors get a fresh
    render, not the stored page; so too after a change of unknown scope."""
    with django_capture_on_commit_callbacks(execute=False):
        progress.post_update(commitment=item, status=CommitmentStatus.IN_PROGRESS, note="已开工")
    page = Client().get(item.reply.proposal.get_absolute_url())
    assert page["X-Cache"] == "miss" and "已开工" in text(page)
    call_command("render_pages", stdout=io.StringIO())  # the stale one again
    assert "已开工" in bytes(_snapshot(item).body).decode()
    bump_public_version()
    assert Client().get(item.reply.proposal.get_absolute_url())["X-Cache"] == "miss"


def test_a_withdrawn_page_loses_its_snapshot(item, django_capture_on_commit_callbacks):
    url = item.reply.proposal.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=True):
        publication.withdraw_reply(reply=item.reply, reason="测试：撤回", actor=None)
    assert not PageSnapshot.objects.filter(key__endswith="|" + url).exists()
    page = Client().get(url)
    assert page.status_code == 410 and "建设口袋公园" not in text(page)


def test_a_snapshot_is_not_served_once_something_on_it_turns_overdue(item, monkeypatch):
    url = item.reply.proposal.get_absolute_url()
    assert Client().get(url)["X-Cache"] == "snapshot"
    later = item.due_on + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    page = Client().get(url)
    assert page["X-Cache"] == "miss" and "已逾期" in text(page)


def test_the_stored_page_costs_a_few_queries(item, django_assert_max_num_queries):
    """Three queries for a stored page (the versions, the proposal with what is stored,
    the page); a render costs no more with snapshots on than off (≤ 10)."""
    url = item.reply.proposal.get_absolute_url()
    with django_assert_max_num_queries(3):
        assert Client().get(url)["X-Cache"] == "snapshot"
    PageSnapshot.objects.all().delete()
    cache.clear()
    with django_assert_max_num_queries(10):
        assert Client().get(url)["X-Cache"] == "miss"


def test_other_hosts_are_rendered_live(item):
    with override_settings(ALLOWED_HOSTS=["testserver", "mirror.example"]):
        page = Client(HTTP_HOST="mirror.example").get(item.reply.proposal.get_absolute_url())
    assert page.status_code == 200 and page["X-Cache"] == "miss"


def test_a_page_under_a_chinese_committee_slug_is_stored_and_served(
    django_capture_on_commit_callbacks,
):
    """Committee slugs may be Chinese: the page is stored under the path its requests
    carry (decoded), not the percent-encoded one ``get_absolute_url`` gives."""
    committee = factories.CommitteeFactory(name="烟台市政协", slug="烟台市政协")
    reply = factories.ReplyFactory(
        proposal=factories.ProposalFactory(session=factories.SessionFactory(committee=committee)),
        published_at=None,
    )
    factories.CommitmentFactory(reply=reply, owner=reply.department, heading="建设口袋公园")
    with django_capture_on_commit_callbacks(execute=True):
        publication.publish_reply(reply=reply)
    url = reply.proposal.get_absolute_url()
    assert "%E7%83%9F" in url
    page = Client().get(url)
    assert page.status_code == 200 and page["X-Cache"] == "snapshot"
    assert call_command("render_pages", stdout=io.StringIO()) is None
    assert PageSnapshot.objects.get().token == page_token_of(reply.proposal)


def page_token_of(proposal) -> str:
    from core.caching import code_release
    from core.versioning import public_version

    proposal.refresh_from_db()
    broad = public_version().broad
    return f"p{proposal.pk}.{proposal.page_version}.b{broad}.r{code_release()}"


def test_a_page_stored_by_another_release_is_not_served(item):
    """After an upgrade, pages stored by the code before it are rendered again."""
    from core.caching import code_release

    url = item.reply.proposal.get_absolute_url()
    snapshot = _snapshot(item)
    snapshot.token = snapshot.token.replace(f".r{code_release()}", ".rolder")
    snapshot.save()
    page = Client().get(url)
    assert page["X-Cache"] == "miss"
    call_command("render_pages", stdout=io.StringIO())
    assert _snapshot(item).token.endswith(f".r{code_release()}")
    cache.clear()
    assert Client().get(url)["X-Cache"] == "snapshot"


def test_gunicorns_master_names_the_release_the_workers_would(settings, monkeypatch, tmp_path):
    """deploy/gunicorn.conf.py works the release out once, before the workers fork, as the
    hash ``code_release`` would take (so web workers and Celery workers agree)."""
    import runpy
    from pathlib import Path

    from core.caching import code_release

    monkeypatch.setenv("DJANGO_RELEASE", "")  # restored after the test
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py"))
    config["on_starting"](None)
    import os

    settings.RELEASE = ""
    code_release.cache_clear()
    try:
        assert os.environ["DJANGO_RELEASE"] == code_release()
    finally:
        code_release.cache_clear()
