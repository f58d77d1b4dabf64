"""Container health checks (the Dockerfile's HEALTHCHECK and docker-compose.yml's).

    python deploy/healthcheck.py web      /healthz answers 200 (the database answers too)
    python deploy/healthcheck.py worker   this container's Celery worker answers a ping
    python deploy/healthcheck.py beat     the broker (Redis) answers

Exits 0 when healthy, 1 with one line on stderr otherwise. Only the standard library for
``web``, so that the check costs little every 30 seconds.
"""

import os
import socket
import sys
import urllib.request


def web() -> None:
    # /healthz is exempt from the https redirect, but the Host header must be an allowed
    # host: the first of DJANGO_ALLOWED_HOSTS, without a leading dot or wildcard.
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    host = next((h.lstrip(".") for h in hosts if h and h != "*"), "localhost")
    port = os.environ.get("HEALTHCHECK_PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=4) as response:
        if response.status != 200:
            raise RuntimeError(f"/healthz answered {response.status}")


def worker() -> None:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from config.celery import app

    node = f"celery@{socket.gethostname()}"
    if not app.control.ping(destination=[node], timeout=5):
        raise RuntimeError(f"{node} did not answer a ping")


def beat() -> None:
    import redis

    url = os.environ.get("CELERY_BROKER_URL") or os.environ["REDIS_URL"]
    redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()


CHECKS = {"web": web, "worker": worker, "beat": beat}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "web"
    try:
        CHECKS[name]()
    except Exception as error:  # any failure is "unhealthy", said in one line
        print(f"unhealthy ({name}): {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
