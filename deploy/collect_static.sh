#!/bin/sh
# Build time: the static files, compressed and with hashed names (whitenoise's manifest),
# into STATIC_ROOT, so that nothing is written at start.
#   deploy/collect_static.sh                         (PYTHON: the environment's python)
# The Dockerfile's runtime stage runs it; tests/deploy/test_offline_start.py runs it too.
set -eu
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
# The settings refuse to load without a secret when debug is off. This throwaway one signs
# nothing (collectstatic neither signs nor touches the database) and is not kept.
DJANGO_SECRET_KEY=collectstatic-only-not-used-at-run-time DJANGO_DEBUG=0 \
    "$python" manage.py collectstatic --noinput --verbosity 0
echo "collect_static: $(find staticfiles -type f | wc -l) files in staticfiles/"
