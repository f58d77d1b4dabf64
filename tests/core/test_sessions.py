"""core.sessions: staff are logged out STAFF_SESSION_HOURS (8) after logging in, however
active they are; members keep Django's default session age (two weeks)."""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

User = get_user_model()

pytestmark = pytest.mark.django_db


def log_in(client, url: str, username: str, password: str):
    response = client.post(url, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_a_staff_session_ends_eight_hours_after_login(client, login_url):
    User.objects.create_user("clerk-li", password="clerk-password-1", is_staff=True)
    before = timezone.now()
    response = log_in(client, login_url, "clerk-li", "clerk-password-1")
    after = timezone.now()
    eight_hours = datetime.timedelta(hours=8)

    expiry = client.session.get_expiry_date()
    assert before + eight_hours <= expiry <= after + eight_hours
    stored = Session.objects.get(session_key=client.session.session_key)
    assert before + eight_hours - datetime.timedelta(seconds=1) <= stored.expire_date
    assert stored.expire_date <= after + eight_hours
    assert 8 * 3600 - 60 <= int(response.cookies["sessionid"]["max-age"]) <= 8 * 3600


def test_the_staff_session_end_does_not_move_with_activity(client):
    """A fixed time, not eight hours after the last request."""
    User.objects.create_user("clerk-wu", password="clerk-password-1", is_staff=True)
    log_in(client, "/accounts/login/", "clerk-wu", "clerk-password-1")
    first = client.session.get_expiry_date()
    time.sleep(1.1)
    assert client.get("/admin/").status_code == 200
    assert client.session.get_expiry_date() == first


def test_a_staff_session_is_over_once_its_hours_have_passed(client, settings):
    settings.STAFF_SESSION_HOURS = 1 / 3600  # one second
    User.objects.create_user("clerk-he", password="clerk-password-1", is_staff=True)
    log_in(client, "/admin/login/", "clerk-he", "clerk-password-1")
    assert client.get("/admin/").status_code == 200
    time.sleep(1.5)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_hours_are_a_setting(client, settings):
    settings.STAFF_SESSION_HOURS = 2
    User.objects.create_user("clerk-ma", password="clerk-password-1", is_staff=True)
    log_in(client, "/accounts/login/", "clerk-ma", "clerk-password-1")
    assert 2 * 3600 - 60 <= client.session.get_expiry_age() <= 2 * 3600


def test_members_keep_the_default_two_weeks(client):
    User.objects.create_user("member-zhang", password="member-password-1")
    response = log_in(client, "/accounts/login/", "member-zhang", "member-password-1")
    assert "_session_expiry" not in client.session
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    assert int(response.cookies["sessionid"]["max-age"]) == 14 * 24 * 3600
