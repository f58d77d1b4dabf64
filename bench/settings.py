"""Production settings plus a bare view to compare against (benchmarks only)."""

from config.settings import *  # noqa: F403
from config.settings import ALLOWED_HOSTS

ROOT_URLCONF = "bench.urls"
# The in-process search timings go through Django's test client.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# The synthetic-data generator's command (manage.py generate_data) lives with the benchmarks.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
