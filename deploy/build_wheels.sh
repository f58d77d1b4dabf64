#!/bin/sh
# Build stage: one wheel per pin of the lock, checked against the lock's hashes.
#   deploy/build_wheels.sh [LOCK] [WHEEL_DIR]      (defaults: requirements/app.txt, wheels)
# The Dockerfile's builder stage runs it; tests/deploy/test_offline_start.py runs it too.
# This is the only step that reaches a package index: pip's own configuration (PIP_INDEX_URL,
# an internal mirror) decides which one, and --require-hashes makes the source irrelevant,
# since every file must hash to what the lock says.
set -eu
lock=${1:-requirements/app.txt}
out=${2:-wheels}
python=${PYTHON:-python3}
mkdir -p "$out"
"$python" -m pip wheel --quiet --disable-pip-version-check --require-hashes --no-deps \
    --wheel-dir "$out" -r "$lock"
# The runtime installs with --no-index from this folder: keep the lock beside the wheels.
cp "$lock" "$out/requirements.txt"
echo "build_wheels: $(ls "$out"/*.whl | wc -l) wheels in $out"
