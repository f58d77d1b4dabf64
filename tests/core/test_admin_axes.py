"""django-axes' admin pages: the proposal office's only (never a clerk's, whatever
permissions a group is given), named in Chinese."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from core import roles
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:axes_accessattempt_changelist",
    "admin:axes_accesslog_changelist",
    "admin:axes_accessfailurelog_changelist",
]


def test_the_office_sees_the_login_records_in_chinese(client):
    client.force_login(make_user("office", roles.OFFICE))
    index = client.get(reverse("admin:index")).content.decode()
    shown = re.sub(r"<[^>]+>", " ", index)  # the text, not the URLs and class names
    assert "登录保护" in shown and "登录失败记录" in shown and "登录记录" in shown
    assert "Axes" not in shown and "ccess" not in shown
    for name in CHANGELISTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert reverse(name.replace("changelist", "add")) not in response.content.decode()


def test_a_clerk_never_sees_them_even_when_granted(client, world):
    clerk = world["users"]["clerk"]
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    client.force_login(clerk)
    index = client.get(reverse("admin:index")).content.decode()
    assert "登录保护" not in index and "axes" not in index
    for name in CHANGELISTS:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("admin:app_list", args=["axes"])).status_code == 404


def test_the_catalog_names_every_axes_model():
    """locale/ is compiled (the .mo beside the .po): the names read in Chinese."""
    with translation.override("zh-hans"):
        for text in ("access attempts", "access logs", "access failures", "IP Address"):
            translated = gettext(text)
            assert translated != text and not translated.isascii(), text
