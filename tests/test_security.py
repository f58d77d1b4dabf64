"""Security settings: deploy checks, headers, cookies, login throttling, uploads, /healthz."""

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import roles
from proposals.models import Clerk
from replies.models import CommitmentUpdate
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
User = get_user_model()

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


# ---------------------------------------------------------------------------
# Production settings, as docker-compose.yml passes them
# ---------------------------------------------------------------------------

_COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def compose_environment() -> dict[str, str]:
    """The web service's environment from docker-compose.yml, variables filled in as an
    operator would: a real secret, a password and a host name."""
    given = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": "compose-password",
        "DJANGO_ALLOWED_HOSTS": "tian.example.gov.cn",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tian.example.gov.cn",
    }

    def fill(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in given:
            return given[name]
        if op == ":-":
            return arg
        raise AssertionError(f"docker-compose.yml needs {name}: {arg}")

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["web"]["environment"]
    return {key: _COMPOSE_VARIABLE.sub(fill, str(value)) for key, value in environment.items()}


def run_production(*args: str, extra: dict[str, str] | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(compose_environment())
    env.update(extra or {})
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_the_production_settings():
    """`manage.py check --deploy` with docker-compose.yml's settings: no warning at all."""
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


PRODUCTION_VALUES = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF",
    "CONN_HEALTH", "AUTHENTICATION_BACKENDS", "MIDDLEWARE", "MEDIA_ROOT", "STATIC_ROOT",
    "STATICFILES_DIRS",
]} | {"CONN_HEALTH": s.DATABASES["default"]["CONN_HEALTH_CHECKS"]}, default=str))
"""


def test_production_cookies_https_and_framing():
    """Secure, HttpOnly cookies; https only; the proxy header trusted; no framing."""
    result = run_production("-c", PRODUCTION_VALUES)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["CONN_HEALTH"] is True
    assert "axes.backends.AxesStandaloneBackend" in values["AUTHENTICATION_BACKENDS"]
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]
    assert values["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
    # Uploads live outside everything that is served as static files.
    media = Path(values["MEDIA_ROOT"])
    for static in [values["STATIC_ROOT"], *values["STATICFILES_DIRS"]]:
        assert not media.is_relative_to(static) and not Path(static).is_relative_to(media)


def test_hsts_is_off_unless_set():
    """HSTS is behind a setting: without DJANGO_SECURE_HSTS_SECONDS, no header is promised."""
    result = run_production(
        "-c",
        "import django; django.setup(); from django.conf import settings;"
        " print(settings.SECURE_HSTS_SECONDS)",
        extra={"DJANGO_SECURE_HSTS_SECONDS": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0"


# ---------------------------------------------------------------------------
# Headers on real responses
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_a_page(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_https_redirect_hsts_and_the_proxy_header(client, settings):
    """Production behaviour: plain http is redirected (not /healthz), https gets HSTS, and
    the proxy's X-Forwarded-Proto is what says a request was https."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/proposals/?q=x")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/proposals/?q=x"
    assert client.get("/healthz").status_code == 200
    secure = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only(client, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    User.objects.create_user("wang", password="correct-horse-9")
    page = client.get(reverse("portal:login"))
    assert page.cookies["csrftoken"]["httponly"] and page.cookies["csrftoken"]["secure"]
    response = client.post(
        reverse("portal:login"), {"username": "wang", "password": "correct-horse-9"}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["secure"]
    assert session["samesite"] == "Lax"


class _InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler attributes,
    javascript: URLs, style attributes and <style> elements without the page's nonce."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.styles: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.problems.append(f"inline <script> {attrs}")
        if tag == "style":
            self.styles.append(attributes.get("nonce"))
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def assert_no_inline_code(response):
    parser = _InlineCode()
    parser.feed(response.content.decode())
    assert not parser.problems, parser.problems
    if parser.styles:
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        assert nonce, "a <style> element but no nonce in the policy"
        assert set(parser.styles) == {nonce.group(1)}


@pytest.fixture
def office_user(db):
    roles.ensure_roles()
    user = User.objects.create_user("office", password="office-pass-1", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.OFFICE))
    return user


@pytest.mark.django_db
def test_no_inline_script_anywhere(client, seed, office_user):
    """Every page, public and admin, passes the CSP: no inline script or handler."""
    proposal, commitment = seed.proposal, seed.reply.commitments.first()
    public = [
        reverse("portal:home"),
        reverse("portal:search") + "?q=科技",
        reverse("portal:commitments"),
        proposal.get_absolute_url(),
        reverse("portal:department", args=[seed.reply.department_id]),
        reverse("portal:dashboard"),
        reverse("portal:login"),
        "/no-such-page/",
    ]
    for url in public:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_no_inline_code(response)
    client.force_login(office_user)
    staff = [
        reverse("portal:mine"),
        reverse("portal:progress", args=[commitment.pk]),
        reverse("admin:index"),
        reverse("admin:replies_reply_changelist"),
        reverse("admin:replies_reply_change", args=[seed.reply.pk]),
        reverse("admin:replies_commitmentitem_change", args=[commitment.pk]),
        reverse("admin:replies_reply_import"),
    ]
    for url in staff:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_code(response)
    preview = client.post(reverse("admin:replies_reply_import"), {"text": seed.reply.body})
    assert preview.status_code == 200
    assert_no_inline_code(preview)


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


@pytest.mark.django_db
def test_throttling_does_not_get_in_the_way_of_force_login(admin_client):
    """The test suite's force_login and admin_client bypass the backends: still fine."""
    assert admin_client.get(reverse("admin:index")).status_code == 200


# ---------------------------------------------------------------------------
# Evidence uploads and downloads
# ---------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def evidence_world(db, media):
    """A published and a draft commitment of two departments, each with a PDF update."""
    roles.ensure_roles()
    own = factories.DepartmentFactory(name="临沂市科学技术局")
    other = factories.DepartmentFactory(name="临沂市教育局")
    world = {}
    for key, published in (("public", True), ("draft", False)):
        reply = factories.ReplyFactory(
            proposal=factories.ProposalFactory(lead_department=own), department=own
        )
        if not published:
            reply.published_at = None
            reply.save()
        item = factories.CommitmentFactory(reply=reply, owner=own)
        update = CommitmentUpdate.objects.create(
            commitment=item,
            date="2021-09-01",
            status="in_progress",
            attachment=SimpleUploadedFile(f"{key}证明.pdf", PDF),
        )
        world[key] = update
    office = User.objects.create_user("office", password="x", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    clerk = User.objects.create_user("clerk", password="x", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.CLERK))
    Clerk.objects.create(user=clerk, department=other)
    member = User.objects.create_user("member", password="x")
    proposer = factories.ProposerFactory(user=member)
    world["draft"].commitment.reply.proposal.proposers.add(proposer)
    world.update(office=office, other_clerk=clerk, member=member)
    return world


def test_file_urls_go_through_the_download_view(evidence_world):
    update = evidence_world["public"]
    assert update.attachment.url == reverse("evidence-file", args=[update.attachment.name])


def test_public_evidence_is_a_safe_download(client, evidence_world):
    update = evidence_world["public"]
    response = client.get(update.attachment.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''public" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 404), ("other_clerk", 404), ("office", 200), ("member", 200)],
)
def test_draft_evidence_only_for_those_who_may_see_the_draft(client, evidence_world, who, status):
    """A draft's evidence: the office and the proposal's own proposer, nobody else; for
    the others it does not exist (404), as the draft itself does not."""
    if who:
        client.force_login(evidence_world[who])
    response = client.get(evidence_world["draft"].attachment.url)
    assert response.status_code == status
    if status == 200:
        assert "no-store" in response["Cache-Control"]


def test_files_without_an_update_and_odd_paths_are_not_served(client, evidence_world, media):
    (media / "evidence").mkdir(parents=True, exist_ok=True)
    (media / "evidence" / "orphan.pdf").write_bytes(PDF)
    for path in [
        "/media/evidence/orphan.pdf",
        "/media/../config/settings.py",
        "/media/%2e%2e/config/settings.py",
        "/media/evidence/",
        "/media/" + "a" * 5000,
    ]:
        assert client.get(path).status_code == 404, path


def _progress_post(client, update_pk_owner, upload):
    item = update_pk_owner
    return client.post(
        reverse("portal:progress", args=[item.pk]),
        {
            "version": item.version,
            "date": "2021-10-01",
            "status": "in_progress",
            "note": "附件",
            "attachment": upload,
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("run.exe", b"MZ\x90\x00", "只能上传"),
        ("page.html", b"<script>alert(1)</script>", "只能上传"),
        ("fake.pdf", b"<html><script>alert(1)</script></html>", "不符"),
        ("fake.png", PDF, "不符"),
        ("nul.txt", b"abc\x00def", "不符"),
        ("latin.txt", b"\xff\xfe\xfd\xfc" * 10, "不符"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "10 MB"),
    ],
)
def test_bad_evidence_is_refused_on_the_progress_page(
    client, evidence_world, name, content, message
):
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    response = _progress_post(client, item, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert CommitmentUpdate.objects.count() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [("证明.pdf", PDF), ("照片.png", PNG), ("说明.txt", "中文说明".encode("gb18030"))],
)
def test_good_evidence_is_stored_under_media(client, evidence_world, media, name, content):
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    response = _progress_post(client, item, SimpleUploadedFile(name, content))
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get(commitment=item, note="附件")
    assert Path(update.attachment.path).is_relative_to(media)
    assert Path(update.attachment.path).read_bytes() == content
    page = client.get(reverse("portal:progress", args=[item.pk]))
    assert update.attachment.url in page.content.decode()


def test_bad_evidence_is_refused_in_the_admin(client, evidence_world):
    """The admin's add form and the inline on the commitment check uploads the same way."""
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    add = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {
            "commitment": item.pk,
            "date": "2021-10-01",
            "status": "in_progress",
            "attachment": SimpleUploadedFile("fake.pdf", b"<script>alert(1)</script>"),
        },
    )
    assert add.status_code == 200
    assert "不符" in add.content.decode()
    assert CommitmentUpdate.objects.count() == before
    ok = client.post(
        reverse("admin:replies_commitmentupdate_add"),
        {
            "commitment": item.pk,
            "date": "2021-10-01",
            "status": "in_progress",
            "attachment": SimpleUploadedFile("real.pdf", PDF),
        },
    )
    assert ok.status_code == 302
    created = CommitmentUpdate.objects.latest("pk")
    page = client.get(reverse("admin:replies_commitmentupdate_change", args=[created.pk]))
    assert created.attachment.url in page.content.decode()
    assert reverse("evidence-file", args=[created.attachment.name]) == created.attachment.url


def _commitment_change_data(client, item, upload) -> tuple[str, dict]:
    """The admin change form of ``item`` as loaded, plus one new update with ``upload``."""
    url = reverse("admin:replies_commitmentitem_change", args=[item.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in {
            **{f: form.initial.get(f, "") for f in form.fields},
            "reply": item.reply_id,
            "owner": item.owner_id,
            "loaded_version": item.version,
            "statements": "[]",
        }.items()
        if value is not None
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": management.initial["TOTAL_FORMS"],
                f"{prefix}-INITIAL_FORMS": management.initial["INITIAL_FORMS"],
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for index, inline_form in enumerate(formset.formset.forms):
            data[f"{prefix}-{index}-id"] = inline_form.instance.pk
            data[f"{prefix}-{index}-commitment"] = item.pk
    total = int(data["updates-TOTAL_FORMS"])
    data.update(
        {
            "updates-TOTAL_FORMS": total + 1,
            f"updates-{total}-commitment": item.pk,
            f"updates-{total}-date": "2021-10-02",
            f"updates-{total}-status": "in_progress",
            f"updates-{total}-note": "行内附件",
            f"updates-{total}-attachment": upload,
        }
    )
    return url, data


def test_evidence_in_the_commitment_inline_is_checked_too(client, evidence_world):
    """The inline on the commitment refuses a bad file and saves a good one, linked to
    the download view."""
    client.force_login(evidence_world["office"])
    item = evidence_world["public"].commitment
    before = CommitmentUpdate.objects.count()
    url, data = _commitment_change_data(client, item, SimpleUploadedFile("x.docx", b"not a zip"))
    response = client.post(url, data)
    assert response.status_code == 200, response.get("Location")
    assert "不符" in response.content.decode()
    assert CommitmentUpdate.objects.count() == before

    url, data = _commitment_change_data(client, item, SimpleUploadedFile("x.pdf", PDF))
    response = client.post(url, data)
    assert response.status_code == 302
    created = CommitmentUpdate.objects.get(commitment=item, note="行内附件")
    page = client.get(url).content.decode()
    assert f'href="{created.attachment.url}"' in page
    assert created.attachment.url.startswith("/media/evidence/")


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
