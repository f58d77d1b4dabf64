#!/bin/sh
# The image's entry point, one process per service (docker-compose.yml):
#   deploy/start.sh web [GUNICORN_OPTIONS...]   gunicorn with deploy/gunicorn.conf.py
#   deploy/start.sh worker [CELERY_OPTIONS...]  a Celery worker (imports, OCR, jobs)
#   deploy/start.sh beat [CELERY_OPTIONS...]    Celery beat: the schedule of settings.py
#   deploy/start.sh migrate                     the migrations, once per upgrade
#   deploy/start.sh manage COMMAND [ARGS...]    any manage.py command
# It installs and downloads nothing: everything that runs is in the image (or, in
# tests/deploy/test_offline_start.py, in the environment made from the wheels), and the
# test runs it with no network at all.
set -eu
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
# Nothing started from here may ask a package index for anything.
export PIP_NO_INDEX=1
service=${1:-web}
[ $# -gt 0 ] && shift
case "$service" in
    web)
        exec "$python" -m gunicorn config.wsgi:application --config deploy/gunicorn.conf.py "$@" ;;
    worker)
        exec "$python" -m celery -A config worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_CONCURRENCY:-2}" "$@" ;;
    beat)
        # The schedule's state file is rebuilt when missing: crontab entries lose nothing.
        exec "$python" -m celery -A config beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
            --schedule "${CELERY_BEAT_SCHEDULE_FILE:-/tmp/celerybeat-schedule}" "$@" ;;
    migrate)
        exec "$python" manage.py migrate --noinput "$@" ;;
    manage)
        exec "$python" manage.py "$@" ;;
    *)
        echo "usage: deploy/start.sh web|worker|beat|migrate|manage [ARGS...]" >&2
        exit 64 ;;
esac
