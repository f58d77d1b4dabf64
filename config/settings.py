"""Settings for 提案答复追踪, read from the environment.

Zero-setup defaults suit a newcomer's first local run (SQLite file, debug when asked);
production refuses to start without its secret (see ``_require_secret_key``).
"""

import datetime
import ipaddress
import os
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)


def _require_secret_key() -> str:
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if key:
        return key
    if DEBUG:
        # Only ever used with DJANGO_DEBUG on, i.e. on a developer's machine.
        return "insecure-local-development-key-never-used-in-production"
    # One readable line instead of a traceback: production must not run on a guessable key.
    sys.exit("配置错误: DJANGO_DEBUG 关闭时必须设置环境变量 DJANGO_SECRET_KEY。")


SECRET_KEY = _require_secret_key()
# Rotating the key (docs/deployment.md): the new key in DJANGO_SECRET_KEY, the old one here
# (comma-separated) until the sessions and password-reset links signed with it have expired.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core.admin_config.TrackerAdminConfig",  # django.contrib.admin, core's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "simple_history",
    # The layers, lowest first (docs/architecture.md): site plumbing, what was proposed,
    # what was answered and promised, the public site above both.
    "core",
    "proposals",
    "replies",
    "portal",
]

MIDDLEWARE = [
    # Prometheus' request counters and latencies (/metrics): first and (nearly) last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # One JSON line per request with its id (docs/deployment.md, "What is logged"); outside
    # everything else, so that redirects, static files and error pages are timed too.
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that cannot reach the database answers the 503 page, not the 500 one.
    "core.middleware.DatabaseUnavailableMiddleware",
    # The Chinese 404 page with DJANGO_DEBUG on as well (Django's own is technical).
    "core.middleware.NotFoundPageMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections nearly tripled a list page's throughput in a trial here;
        # health checks let a worker recover by itself after the database restarts.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed files with hashed names; `collectstatic` must run before serving.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    # runserver serves straight from the source folders; no collectstatic step needed.
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "noreply@localhost")
# Links in e-mails point here (no request to build them from in a cron job).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000")

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:mine"
LOGOUT_REDIRECT_URL = "portal:home"
# Staff (the admin, clerks' pages) are logged out this many hours after they logged in,
# however active they were: a session left open on a shared office computer ends the same
# day (core.sessions). Members keep Django's default (SESSION_COOKIE_AGE, two weeks).
STAFF_SESSION_HOURS = float(os.environ.get("DJANGO_STAFF_SESSION_HOURS") or "8")

# A reply is due this many months after the proposal is assigned (交办).
REPLY_DUE_MONTHS = int(os.environ.get("REPLY_DUE_MONTHS", "3"))
# A department may return a mis-assigned proposal within this many working days.
RETURN_WORKING_DAYS = int(os.environ.get("RETURN_WORKING_DAYS", "10"))
# Departments are reminded of commitments due within this many days.
REMINDER_DAYS = int(os.environ.get("REMINDER_DAYS", "14"))
# Whether everyone sees 兑现率 per department is the proposal office's choice, made in the
# admin (公开设置, core.models.OfficeSettings), not here.

# ---------------------------------------------------------------------------
# Shared cache and background work (docs/scaling.md)
#
# REDIS_URL (for example redis://:password@redis:6379/0) makes Redis the cache shared by
# every worker and node — the page cache and the dashboard's lists — and Celery's broker.
# Without it: a per-process local-memory cache and tasks run eagerly in the caller, so
# `make run` and the tests need nothing but Python.
# ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()


def redis_caches(url: str) -> dict:
    """The CACHES setting for a Redis at ``url`` (tests/core/test_shared_cache.py uses it
    with a throwaway Redis)."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "tiantrack"),
            "OPTIONS": {
                # Redis down or unreachable: every cache call is a miss and the site keeps
                # serving, uncached. The short timeouts bound what an unreachable Redis
                # costs a request.
                "IGNORE_EXCEPTIONS": True,
                "LOG_IGNORED_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": float(os.environ.get("REDIS_CONNECT_TIMEOUT", "0.2")),
                "SOCKET_TIMEOUT": float(os.environ.get("REDIS_TIMEOUT", "0.5")),
            },
        }
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOGGER = "core.cache"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL) or "memory://"
# Results are not kept: a task reports through the database (ImportJob rows), never through
# a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it to another;
# every task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The scheduler (`celery -A config beat`) instead of cron; times are Beijing time.
CELERY_BEAT_SCHEDULE = {
    "send-reminders": {
        "task": "replies.tasks.send_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
    "advance-rollups": {
        "task": "replies.tasks.advance_rollups",
        "schedule": crontab(hour=0, minute=5),
    },
    "rebuild-repeats": {
        "task": "replies.tasks.rebuild_repeats",
        "schedule": crontab(hour=2, minute=30),
    },
    "remove-stale-uploads": {
        "task": "replies.tasks.remove_stale_uploads",
        "schedule": crontab(minute=17),
    },
    # After advance-rollups: the proposal pages whose snapshot went stale (a deadline
    # passed, a change of unknown scope) are rendered again (portal.snapshots).
    "render-stale-pages": {
        "task": "portal.tasks.render_stale_pages",
        "schedule": crontab(hour=0, minute=20),
    },
}
# Proposal pages rendered ahead of visitors after every change to them (portal.snapshots):
# served from the database when the page cache does not hold them.
PAGE_SNAPSHOTS = env_bool("DJANGO_PAGE_SNAPSHOTS", default=True)
# The release the pages are rendered by (a deployment's commit, say); without it, a hash of
# the code and templates (core.caching.code_release): stored pages of another release are
# never served.
RELEASE = os.environ.get("DJANGO_RELEASE", "")

# ---------------------------------------------------------------------------
# Observability (docs/deployment.md, "Monitoring")
# ---------------------------------------------------------------------------
# The request log (core.requests), server errors (django.request) and failed jobs
# (config.celery) are JSON lines on stderr; the rest stays plain text. DJANGO_REQUEST_LOG_LEVEL=WARNING keeps only slow requests.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "json": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "core.requests": {
            "handlers": ["json"],
            "level": os.environ.get("DJANGO_REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        "config.celery": {"handlers": ["json"], "level": "INFO", "propagate": False},
        # A line per task run (a page rendered after each change) says nothing worth
        # reading; failures are logged by config.celery.
        "celery.app.trace": {"level": "WARNING"},
        # Server errors with their traceback and request id; 4xx answers are in the
        # request log already.
        "django.request": {"handlers": ["json"], "level": "ERROR", "propagate": False},
    },
}
# A request slower than this is logged at WARNING with "slow": true.
SLOW_REQUEST_SECONDS = float(os.environ.get("DJANGO_SLOW_REQUEST_SECONDS") or "1")


def _metrics_allowed_ips() -> list[str]:
    entries = env_list("DJANGO_METRICS_ALLOWED_IPS", "127.0.0.1,::1")
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            sys.exit(f"配置错误: DJANGO_METRICS_ALLOWED_IPS 中的 {entry!r} 不是 IP 地址或网段。")
    return entries


# Who may read /metrics (core.views.metrics): addresses or networks, comma-separated, as
# the app server sees them (the Prometheus server's); empty turns /metrics off for everyone.
METRICS_ALLOWED_IPS = _metrics_allowed_ips()

# Real reply letters kept outside the repository; `make run` and the tests read them in place.
SAMPLES_DIR = Path(os.environ.get("SAMPLES_DIR", BASE_DIR.parent / "shared" / "samples"))

# Django 6 makes https the default scheme of URL form fields; opt in now.
FORMS_URLFIELD_ASSUME_HTTPS = True

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see docker-compose.yml).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# ---------------------------------------------------------------------------
# Security: production hardening
#
# `python manage.py check --deploy` reports nothing with the settings docker-compose.yml
# passes (tests/config/test_settings.py runs it). Each switch below is an environment variable so
# that a deployment can loosen one knowingly; the defaults are the safe ones whenever
# DJANGO_DEBUG is off.
# ---------------------------------------------------------------------------
INSTALLED_APPS += ["core.axes_config.AxesConfig", "csp"]
# The policy header is added to every response, static files included.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
# Prometheus' closing half, then django-axes last, as it asks: it turns a locked-out login
# into the lockout page.
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# NUL in a query string is a 400 page, not a database error (the admin's search boxes).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware") + 1,
    "core.middleware.RejectNulInQueryMiddleware",
)

# HTTPS only: plain-http requests are redirected (except the load balancer's /healthz) and
# cookies never travel unencrypted. Behind the TLS proxy, DJANGO_SECURE_PROXY_SSL_HEADER=1
# tells Django which requests arrived over https.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Prometheus scrapes plain http inside the private network, as the load balancer checks
# /healthz; /metrics answers only METRICS_ALLOWED_IPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No script of ours reads either cookie; forms carry the CSRF token in a hidden field.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# HSTS is behind a setting (off by default): once browsers have seen it, the site cannot go
# back to plain http for that many seconds, so a deployment turns it on when https works.
# docker-compose.yml sets a year.
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS") or "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Clickjacking: no page may be framed, by anyone (the CSP's frame-ancestors says it again).
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp 4): scripts and styles from our own origin only, no
# inline script at all; the one inline <style> (the admin's letter import) carries a nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Request size: a form body (pasted letters included) may be at most 2.5 MB; larger bodies
# get the 400 page. Files are checked after upload (text letters 2 MB, Word/PDF/scanned
# letters LETTER_UPLOAD_MAX_BYTES, evidence 10 MB, see replies/forms.py); the TLS proxy
# should refuse bodies over ~22 MB before they reach us.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A letter uploaded as .docx, PDF or scan: a few pages scanned at 300 dpi in colour fit
# easily. Files are read in memory and never stored (see replies/forms.py).
LETTER_UPLOAD_MAX_BYTES = int(os.environ.get("LETTER_UPLOAD_MAX_MB") or "20") * 1024 * 1024
# OCR in the admin's import runs inside the request (about 10 s a page on one core):
# longer scans are refused there and imported with `manage.py import_letters`, which has
# no limit. Tesseract is found on PATH, or set TESSERACT_CMD to its path.
LETTER_OCR_MAX_PAGES = int(os.environ.get("LETTER_OCR_MAX_PAGES") or "5")
FILE_UPLOAD_PERMISSIONS = 0o640

# Login throttling (django-axes) for the admin and the members' login alike. Failures are
# counted per user name *and* address: behind the proxy every client has the proxy's
# address, so counting by address alone would lock a whole office out; by name alone,
# anyone could lock any member out from anywhere. Counts live in the database, shared by
# all gunicorn workers.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT") or "5")
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES") or "15")
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "core.views.axes_username"
# Its admin pages are registered by core.admin: the proposal office's only, never a
# clerk's (whatever permissions a group is given), with Chinese names (locale/).
AXES_ENABLE_ADMIN = False
# A page in Chinese with status 429, not a traceback or django-axes' English sentence.
AXES_LOCKOUT_CALLABLE = "core.views.login_locked_out"
# django-axes announces itself at every start and logs each login at INFO: lockouts and
# failures (WARNING) are what operators need.
AXES_VERBOSE = False
