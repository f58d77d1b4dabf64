"""Logging in and getting back in: the login page, Django's password reset in Chinese
(e-mailed on the site's public address), and the /me/ page's logout."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.helpers import body

pytestmark = pytest.mark.django_db


def test_the_login_page_links_the_password_reset(client):
    html = body(client.get(reverse("portal:login")))
    assert f'<a href="{reverse("portal:password-reset")}">忘记密码？</a>' in html
    form = re.search(r'<form method="post" class="narrow-form">(.*?)</form>', html, re.S).group(1)
    # Both fields in the one narrow column, styled alike (site.css: .narrow-form input).
    assert 'type="text" name="username"' in form and 'type="password" name="password"' in form


def test_password_reset_end_to_end(client, world, settings):
    """A member asks for a link, gets a Chinese e-mail with a link on SITE_URL (not on the
    Host header asked with), sets a new password there and logs in with it."""
    settings.SITE_URL = "https://tian.example.cn"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "other.example.com"]
    member = world["users"]["member"]
    member.email = "member@example.com"
    member.save()
    page = body(client.get(reverse("portal:password-reset")))
    assert "找回密码" in page and "发送重设链接" in page
    response = client.post(
        reverse("portal:password-reset"),
        {"email": "member@example.com"},
        HTTP_HOST="other.example.com",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password-reset-done")
    assert "邮件已发送" in body(client.get(response["Location"]))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["member@example.com"] and "重设密码" in message.subject
    link = re.search(r"https://tian\.example\.cn(/accounts/reset/\S+/)", message.body).group(1)
    assert "other.example.com" not in message.body
    # Django swaps the token for a session marker, then shows the form.
    response = client.get(link, follow=True)
    assert "设置新密码" in body(response) and "保存新密码" in body(response)
    form_url = response.redirect_chain[-1][0]
    new = "Xin-mima-2026!"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert "密码已重设" in body(client.get(response["Location"]))
    client.logout()
    response = client.post(reverse("portal:login"), {"username": member.username, "password": new})
    assert response.status_code == 302 and response["Location"] == reverse("portal:mine")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, world):
    response = client.post(reverse("portal:password-reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password-reset-done")
    assert mail.outbox == []


def test_a_used_or_made_up_link_says_so(client, world):
    url = reverse("portal:password-reset-confirm", kwargs={"uidb64": "MQ", "token": "x-y"})
    html = body(client.get(url))
    assert "这个重设链接无效" in html and "<form" not in html.split("<main", 1)[1]


def test_logout_on_me_is_not_the_primary_button(client, world):
    client.force_login(world["users"]["member"])
    html = body(client.get(reverse("portal:mine")))
    logout = re.search(
        r'<form method="post" action="/accounts/logout/"[^>]*>.*?</form>', html, re.S
    )
    assert '<button type="submit" class="secondary">退出登录</button>' in logout.group(0)
