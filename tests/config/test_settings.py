"""config.settings: production refuses to start without its secret; the deployment's
settings (docker-compose.yml) pass `check --deploy` and secure cookies, https and framing;
the security headers and the content security policy hold on real pages."""

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
from django.urls import reverse

from core import roles

ROOT = Path(__file__).resolve().parents[2]
User = get_user_model()


# ---------------------------------------------------------------------------
# Starting up
# ---------------------------------------------------------------------------


def run_settings(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DJANGO_SECRET_KEY" in lines[0]


def test_starts_with_a_secret_key():
    result = run_settings(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_debug_runs_without_secret_key():
    result = run_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_locale_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


# ---------------------------------------------------------------------------
# docker-compose.yml cannot run here (no Docker engine): its shape, and the production
# settings as it passes them
# ---------------------------------------------------------------------------


def test_compose_has_web_and_db_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "db"} <= set(services)
    # deploy/start.sh web runs gunicorn (tests/deploy/test_compose.py has the whole stack).
    assert services["web"]["command"][0] == "web"
    assert services["web"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "db"):
        assert "healthcheck" in services[name]


def test_compose_passes_the_settings_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["web"]["environment"]
    for variable in ("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"):
        assert variable in env
    assert env["DJANGO_DEBUG"] == "0"
    assert env["DATABASE_URL"].startswith("postgres://")


_COMPOSE_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def compose_environment() -> dict[str, str]:
    """The web service's environment from docker-compose.yml, variables filled in as an
    operator would: a real secret, a password and a host name."""
    given = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": "compose-password",
        "REDIS_PASSWORD": "compose-redis-password",
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
# Headers, cookies and the content security policy on real responses
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
# Shared cache and background work
# ---------------------------------------------------------------------------

SHOW_CACHE_AND_TASKS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)"
)


def _show(**env_overrides: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="1")
    result = subprocess.run(
        [sys.executable, "-c", SHOW_CACHE_AND_TASKS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_without_redis_nothing_but_python_is_needed():
    backend, broker, eager = _show()
    assert backend.endswith("LocMemCache") and broker == "memory://" and eager == "True"


def test_redis_url_makes_redis_the_cache_and_the_broker():
    backend, broker, eager = _show(REDIS_URL="redis://:secret@cache.internal:6379/0")
    assert backend == "django_redis.cache.RedisCache"
    assert broker == "redis://:secret@cache.internal:6379/0" and eager == "False"


def test_startup_does_not_announce_django_axes():
    """django-axes logs "AXES: BEGIN" from its AppConfig at every start (five times
    during `make run`); AXES_VERBOSE = False keeps startup quiet."""
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "AXES" not in result.stdout + result.stderr
