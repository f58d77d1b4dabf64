"""gunicorn's settings in the deployment (deploy/start.sh web, docker-compose.yml).

Every value can be changed from the environment; command-line options override them.
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# The slowest admin action is importing a scanned letter: OCR of up to
# LETTER_OCR_MAX_PAGES (5) pages inside the request, about 10 s a page on one free core and
# slower while other workers compete for it. The proxy's read timeout must be longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# OCR (Pillow, PDFium) leaves a worker's memory fragmented: recycle workers now and then,
# staggered so that they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Every request is logged once, as JSON, by core.middleware.RequestLogMiddleware; gunicorn's
# access log would add a second line with the client's address and the query string.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Workers' heartbeat files in memory, not on the container's overlay filesystem.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# prometheus_client's multiprocess mode: each worker writes its figures into this folder and
# /metrics sums them. It is set here, in the master, before any worker imports the client;
# a folder of our own unless the operator names one, emptied at start (stale files of a
# previous run would be summed too).
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tiantrack-metrics-")


# Whether the operator named the release (DJANGO_RELEASE, a deployment's commit).
_named_release = bool(os.environ.get("DJANGO_RELEASE"))


def _name_release():
    # The release's name, worked out here (the workers inherit it) rather than by each
    # worker on its first request: pages are cached and pre-rendered under it.
    if _named_release:
        return
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from core.release import code_hash

    os.environ["DJANGO_RELEASE"] = code_hash(root)


def on_reload(server):
    # kill -HUP with new code: the new workers render under the new release.
    _name_release()


def on_starting(server):
    _name_release()
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
