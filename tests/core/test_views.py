"""core.views: the health check, and the login lockout (django-axes' hooks and the page
it shows)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


# ---------------------------------------------------------------------------
# /healthz
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_200_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not():
    """A real unreachable database (a closed port), not a mock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL="postgres://nobody@127.0.0.1:9/nothing?connect_timeout=2",
    )
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "503 database unavailable"


# ---------------------------------------------------------------------------
# Login throttling (django-axes)
# ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_repeated_failures_lock_the_login_with_a_chinese_page(client, settings, login_url):
    """The AXES_FAILURE_LIMIT-th wrong password locks the login: even the right one is
    refused then, with a page in Chinese (status 429), not a traceback."""
    User.objects.create_user("zhou", password="right-password-1", is_staff=True)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login_url, {"username": "zhou", "password": "wrong"})
        assert response.status_code == 200
    last_try = client.post(login_url, {"username": "zhou", "password": "wrong"})
    assert last_try.status_code == 429
    locked = client.post(login_url, {"username": "zhou", "password": "right-password-1"})
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "登录已暂停" in text and "分钟后再试" in text
    assert "Traceback" not in text
    assert "_auth_user_id" not in client.session
    # Another member at the same address is not affected.
    User.objects.create_user("zhao", password="zhao-password-1", is_staff=True)
    other = client.post(login_url, {"username": "zhao", "password": "zhao-password-1"})
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(client, settings):
    User.objects.create_user("qian", password="qian-password-1")
    url = reverse("portal:login")
    for _round in range(2):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            client.post(url, {"username": "qian", "password": "wrong"})
        ok = client.post(url, {"username": "qian", "password": "qian-password-1"})
        assert ok.status_code == 302
        client.logout()


# ---------------------------------------------------------------------------
# handler500: a database outage outside a view is the 503 page too
# ---------------------------------------------------------------------------


def test_server_error_is_the_503_page_when_the_database_is_unreachable(rf):
    """An OperationalError or InterfaceError that a middleware raised (the session saved
    after the view, say) reaches handler500: the user gets the 503 page, not the 500 one."""
    from django.db import InterfaceError, OperationalError

    from core.views import server_error

    for error in (OperationalError("connection refused"), InterfaceError("connection closed")):
        try:
            raise error
        except type(error):
            response = server_error(rf.get("/"))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert "服务暂时不可用" in response.content.decode()


def test_server_error_is_the_500_page_for_anything_else(rf):
    from core.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "服务器暂时出错" in response.content.decode()
