#!/bin/sh
# Runtime stage: install the app's dependencies from the wheels of build_wheels.sh, with no
# package index at all, then check that the environment is exactly the lock.
#   deploy/install_runtime.sh WHEEL_DIR            (PYTHON: the virtual environment's python)
# The Dockerfile's runtime stage runs it; tests/deploy/test_offline_start.py runs it too.
set -eu
wheels=${1:?usage: deploy/install_runtime.sh WHEEL_DIR}
python=${PYTHON:-python3}
here=$(dirname "$0")
# --no-index: nothing but the wheel folder, whatever pip's configuration says; the lock's
# hashes are checked again here, so a wheel swapped between the stages is refused.
PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= "$python" -m pip install --quiet --no-cache-dir \
    --disable-pip-version-check --no-index --find-links "$wheels" --require-hashes --no-deps \
    -r "$wheels/requirements.txt"
"$python" "$here/verify_install.py" "$wheels/requirements.txt"
