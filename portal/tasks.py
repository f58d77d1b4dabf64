"""Background work of the public site (Celery): pre-rendered proposal pages."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from portal import snapshots

logger = logging.getLogger(__name__)

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
    """``core.versioning.pages_changed``: render these pages again after the commit."""
    if not settings.PAGE_SNAPSHOTS or not ids:
        return
    ids = list(ids)
    transaction.on_commit(lambda: _send(ids))


def _send(ids: list[int]) -> None:
    # After the writer's commit: a broker that is down (or a page that fails, when tasks
    # run eagerly) must not turn the write it follows into an error — the page is then
    # rendered for its next visitor, and again by the nightly job.
    try:
        render_pages.delay(ids)
    except Exception:
        logger.exception("Could not queue the rendering of %d proposal pages", len(ids))
