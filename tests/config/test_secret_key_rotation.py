"""Rotating DJANGO_SECRET_KEY without logging anyone out: the old key goes into
DJANGO_SECRET_KEY_FALLBACKS until its sessions have expired (docs/deployment.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "old-key-" + "o" * 50, "new-key-" + "n" * 50


def test_fallbacks_are_read_from_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=NEW,
        DJANGO_SECRET_KEY_FALLBACKS=f"{OLD}, older-key-{'x' * 50}",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s;"
            " print(s.SECRET_KEY_FALLBACKS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str([OLD, f"older-key-{'x' * 50}"])


def test_no_fallbacks_by_default(settings):
    assert "DJANGO_SECRET_KEY_FALLBACKS" in os.environ or settings.SECRET_KEY_FALLBACKS == []


@pytest.mark.django_db
def test_a_session_signed_with_the_old_key_survives_the_rotation(client, settings):
    """During the rotation a session made under the old key still works and is re-signed
    with the new one on its next request; once the old key is dropped, a session that was
    not used in between (and anything else the old key signed) is void."""
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OLD, []
    user = get_user_model().objects.create_user("wang", password="correct-horse-9")
    idle = Client()
    for browser in (client, idle):
        browser.force_login(user)
    signed = signing.dumps({"reply": 1})
    mine = reverse("portal:mine")
    assert client.get(mine).status_code == 200

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW, [OLD]
    assert client.get(mine).status_code == 200
    assert signing.loads(signed) == {"reply": 1}

    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(mine).status_code == 200
    assert idle.get(mine).status_code == 302
    with pytest.raises(signing.BadSignature):
        signing.loads(signed)
