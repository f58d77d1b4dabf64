"""Background work of the public site (Celery): pre-rendered proposal pages."""

from celery import shared_task
from django.conf import settings

from core.jobs import queue_after_commit
from portal import snapshots

__all__ = ["queue", "render_pages", "render_stale_pages"]


@shared_task(name="portal.tasks.render_pages")
def render_pages(proposal_ids: list[int]) -> int:
    """Render these proposals' public pages again (queued after each change to them)."""
    return snapshots.render_pages(proposal_ids)


@shared_task(name="portal.tasks.render_stale_pages")
def render_stale_pages(limit: int = 20000) -> int:
    """Nightly: render the pages whose snapshot is missing or stale (after a change of
    unknown scope, or a deadline passing), at most ``limit`` a night."""
    return snapshots.render_pages(snapshots.stale_pages(limit))


def queue(sender=None, ids=(), **kwargs) -> None:
    """``core.versioning.pages_changed``: render these pages again after the commit (a
    page whose job could not be queued is rendered for its next visitor, and again by the
    nightly job)."""
    if not settings.PAGE_SNAPSHOTS or not ids:
        return
    ids = list(ids)
    queue_after_commit(render_pages, ids, what=f"the rendering of {len(ids)} proposal pages")
