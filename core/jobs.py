"""Queueing background work (Celery) from a writer without making the write fail."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def queue(task, *args, what: str) -> None:
    """``task.delay(*args)``; a broker that is down (or a task that fails, when tasks run
    eagerly) is logged, never raised: the write this follows has committed, and the
    nightly jobs catch up on what was not queued. ``what``: for the log line."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("Could not queue %s", what)


def queue_after_commit(task, *args, what: str) -> None:
    """``queue`` once the caller's transaction commits; nothing if it rolls back."""
    transaction.on_commit(lambda: queue(task, *args, what=what))
