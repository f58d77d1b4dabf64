"""The Celery application: imports and OCR of uploaded letters, reminders, roll-up
refreshes and reindexing run here, off the request (docs/scaling.md).

With ``REDIS_URL`` set, Redis is the broker and a worker (``celery -A config worker``) and
the scheduler (``celery -A config beat``) run beside gunicorn. Without it — ``make run``,
the tests — tasks run eagerly inside the caller, so nothing but Python is needed.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tiantrack")
# Every CELERY_* Django setting (config/settings.py), lower-cased without the prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
