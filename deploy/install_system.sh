#!/bin/sh
# Runtime stage, as root: the Debian packages the app runs with, and its user.
#   deploy/install_system.sh
# Tesseract with simplified-Chinese data reads scanned letters (what `make ocr` installs
# for development); a CJK font renders PDF pages whose fonts are not embedded. The app's
# dependencies are wheels (psycopg-binary bundles libpq): no compiler, no headers.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-microhei
apt-get clean
rm -rf /var/lib/apt/lists/*
# The app runs as this user; the code and the static files stay root's, read-only to it.
# The media folder (a volume in docker-compose.yml) is the only place it writes.
groupadd --system --gid 10001 tiantrack
useradd --system --uid 10001 --gid tiantrack --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin tiantrack
install -d -o tiantrack -g tiantrack -m 0750 /var/lib/tiantrack /var/lib/tiantrack/media
