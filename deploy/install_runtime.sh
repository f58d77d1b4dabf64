#!/bin/sh
# Runtime stage: a virtual environment with the app's dependencies from the wheels of
# build_wheels.sh, with no package index at all, checked to be exactly the lock.
#   deploy/install_runtime.sh WHEEL_DIR VENV_DIR
# The Dockerfile's runtime stage runs it; tests/deploy/test_offline_start.py runs it too.
set -eu
wheels=${1:?usage: deploy/install_runtime.sh WHEEL_DIR VENV_DIR}
venv=${2:?usage: deploy/install_runtime.sh WHEEL_DIR VENV_DIR}
here=$(dirname "$0")
${BASE_PYTHON:-python3} -m venv "$venv"
# --no-index: nothing but the wheel folder, whatever pip's configuration says; the lock's
# hashes are checked again here, so a wheel swapped between the stages is refused.
PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS='' "$venv/bin/python" -m pip install --quiet \
    --no-cache-dir --disable-pip-version-check --no-index --find-links "$wheels" \
    --require-hashes --no-deps -r "$wheels/requirements.txt"
"$venv/bin/python" "$here/verify_install.py" "$wheels/requirements.txt"
