#!/bin/sh
# Regenerate the lock files from pyproject.toml (make lock), or, with --check, compile them
# again into a temporary folder and fail if they differ from the committed ones (CI).
# Existing pins are kept: pip-compile only changes what pyproject.toml asks it to.
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
# Resolve against PyPI only, whatever this machine's pip configuration adds.
export PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock"
ARGS="--quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links"

out=requirements
if [ "${1:-}" = "--check" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    cp requirements/app.txt requirements/dev.txt "$out"/
fi
# shellcheck disable=SC2086
"$BIN/pip-compile" $ARGS -o "$out/app.txt" pyproject.toml
# shellcheck disable=SC2086
"$BIN/pip-compile" $ARGS --extra dev -c "$out/app.txt" -o "$out/dev.txt" pyproject.toml
if [ "$out" != requirements ]; then
    # The constraint's path is written into the header comment: compare without it.
    status=0
    for name in app.txt dev.txt; do
        if ! sed "s#-c $out/app.txt#-c requirements/app.txt#" "$out/$name" \
            | diff -u "requirements/$name" - ; then
            status=1
        fi
    done
    if [ $status -ne 0 ]; then
        echo "The lock files no longer match pyproject.toml: run 'make lock' and commit requirements/." >&2
        exit 1
    fi
    echo "The lock files match pyproject.toml."
fi
