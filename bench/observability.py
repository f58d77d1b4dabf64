"""What the request log and the Prometheus middleware cost per request (#20).

    .venv/bin/python bench/observability.py [REQUESTS]

Runs REQUESTS (default 3000) requests to /bench/ok — Django with no work, so the middleware
is most of what is measured — through the test client in a fresh process, with the
production middleware (bench.settings) and again without RequestLogMiddleware and the two
Prometheus middlewares, three rounds alternating, and prints the process CPU time per
request of each (the median round). CPU time, not wall time: on shared cores throughput
moves with whatever else runs. The request log is written to /dev/null at INFO, as in
production it is written to a pipe. Needs no database.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE_RUN = """
import json, logging, os, sys, time
import django
django.setup()
from django.conf import settings
from django.test import Client
handler = logging.FileHandler(os.devnull)
logger = logging.getLogger("core.requests")
for old in list(logger.handlers):
    logger.removeHandler(old)
logger.addHandler(handler)
client = Client()
for _ in range(200):
    client.get("/bench/ok")
count = int(sys.argv[1])
started = time.process_time()
for _ in range(count):
    client.get("/bench/ok")
spent = time.process_time() - started
print(json.dumps({"us": spent / count * 1e6, "middleware": len(settings.MIDDLEWARE)}))
"""

OBSERVING = (
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "core.middleware.RequestLogMiddleware",
)


def run(count: int, observed: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECRET_KEY="bench-observability-" + "k" * 40,
        DJANGO_DEBUG="0",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL="sqlite:///:memory:",
    )
    code = ONE_RUN
    if not observed:
        code = code.replace(
            "django.setup()",
            "from django.conf import settings as s\n"
            f"s.MIDDLEWARE = [m for m in s.MIDDLEWARE if m not in {OBSERVING!r}]\n"
            "django.setup()",
        )
    out = subprocess.run(
        [sys.executable, "-c", code, str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds: dict[bool, list[dict]] = {True: [], False: []}
    for _ in range(3):
        for observed in (False, True):
            rounds[observed].append(run(count, observed))
    without = statistics.median(r["us"] for r in rounds[False])
    with_ = statistics.median(r["us"] for r in rounds[True])
    print(f"{count} requests to /bench/ok per round, 3 rounds, median CPU time per request:")
    print(
        f"  without request log and metrics: {without:7.1f} us ({rounds[False][0]['middleware']} middleware)"
    )
    print(
        f"  with request log and metrics:    {with_:7.1f} us ({rounds[True][0]['middleware']} middleware)"
    )
    print(f"  cost: {with_ - without:+.1f} us per request ({(with_ / without - 1) * 100:+.0f}%)")


if __name__ == "__main__":
    main()
