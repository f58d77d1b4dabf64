"""The Celery application: imports and OCR of uploaded letters, reminders, roll-up
refreshes and reindexing run here, off the request (docs/scaling.md).

With ``REDIS_URL`` set, Redis is the broker and a worker (``celery -A config worker``) and
the scheduler (``celery -A config beat``) run beside gunicorn. Without it — ``make run``,
the tests — tasks run eagerly inside the caller, so nothing but Python is needed.
"""

import logging
import os

from celery import Celery
from celery.signals import task_failure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tiantrack")
# Every CELERY_* Django setting (config/settings.py), lower-cased without the prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@task_failure.connect
def log_task_failure(sender=None, task_id=None, exception=None, einfo=None, **_extra):
    """A failed job is one JSON line at ERROR (logger ``config.celery``): the task, its id
    and the cause (the exception and its traceback). Never the task's arguments: they can
    hold a letter's text or a person's name."""
    cause = f"{type(exception).__name__}: {exception}" if exception is not None else "unknown"
    logger.error(
        "task failed",
        extra={
            "fields": {
                "event": "task_failure",
                "task": getattr(sender, "name", str(sender)),
                "task_id": task_id,
                "cause": cause[:500],
            }
        },
        exc_info=einfo.exc_info if einfo is not None else None,
    )
