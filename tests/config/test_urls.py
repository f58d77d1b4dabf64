"""config.urls: the admin site is titled in Chinese."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_is_in_chinese(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "提案答复追踪" in response.content.decode()
    assert "承诺事项" in response.content.decode()
