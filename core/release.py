"""The code release's name, without Django: gunicorn's master works it out once before it
forks the workers (deploy/gunicorn.conf.py), so no worker hashes the code on its first
request; ``core.caching.code_release`` reads it from ``DJANGO_RELEASE``."""

import hashlib
from pathlib import Path

# What renders the pages.
FOLDERS = ("config", "core", "proposals", "replies", "portal", "templates", "static")
SUFFIXES = {".py", ".html", ".css", ".js", ".txt"}


def code_hash(root: Path) -> str:
    """A hash of the app's code, templates and static files under ``root``."""
    digest = hashlib.sha256()
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
