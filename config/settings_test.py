"""Test settings: the real settings with a fixed key and fast, collect-free storage."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
)

from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES  # noqa: E402

# Manifest storage needs collectstatic; tests render templates without it.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files from the source folders, as runserver does, without collectstatic.
WHITENOISE_AUTOREFRESH = True
# The test client and the browser tests' live server speak plain http; the production
# values of these are checked in tests/config/test_settings.py with the deployment's settings.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# Pre-rendered proposal pages are tested where they are switched on (tests/portal/
# test_snapshots.py); elsewhere a write does not also render pages after its commit.
PAGE_SNAPSHOTS = False
