"""The request log (one JSON line per request, core.middleware.RequestLogMiddleware), the
failed-job log (config.celery) and /metrics behind its address allow-list."""

import copy
import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import path

from config.celery import app as celery_app
from config.urls import urlpatterns as site_urlpatterns
from core import roles

User = get_user_model()


def _json_handler(logger_name: str):
    """A handler with the settings' JSON formatter, writing into a string."""
    # configure_formatter consumes its argument: give it a copy of the settings' entry.
    config = copy.deepcopy(settings.LOGGING)
    formatter = logging.config.DictConfigurator(config).configure_formatter(
        config["formatters"]["json"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return logger, handler, stream


@pytest.fixture
def request_log():
    logger, handler, stream = _json_handler("core.requests")
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(previous)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_a_request_is_one_json_line_without_query_string_or_address(client, request_log):
    """The fields are there; the query string (search terms), the client's address and the
    page's text are not."""
    response = client.get(
        "/proposals/?q=秘密检索词&page=1",
        REMOTE_ADDR="203.0.113.77",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert response.status_code == 200
    logged = lines(request_log)
    assert len(logged) == 1, request_log.getvalue()
    entry = logged[0]
    assert entry["event"] == "request"
    assert entry["method"] == "GET"
    assert entry["path"] == "/proposals/"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["role"] == "anonymous"
    assert entry["level"] == "INFO"
    assert entry["request_id"] == response["X-Request-ID"]
    raw = request_log.getvalue()
    for secret in ("秘密检索词", "q=", "203.0.113.77", "198.51.100.9", "page=1"):
        assert secret not in raw
    assert set(entry) == {
        "time",
        "level",
        "logger",
        "event",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
        "role",
    }


@pytest.mark.django_db
def test_the_request_id_is_taken_from_the_proxy_or_made(client, request_log):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="0f3c9a2b-proxy-id")
    assert kept["X-Request-ID"] == "0f3c9a2b-proxy-id"
    # Anything but a plain token (here a forged log line) is replaced by a fresh id.
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x"}\n{"status": 200')
    assert forged["X-Request-ID"] != kept["X-Request-ID"]
    assert len(forged["X-Request-ID"]) == 32
    assert [entry["request_id"] for entry in lines(request_log)] == [
        "0f3c9a2b-proxy-id",
        forged["X-Request-ID"],
    ]
    made = {client.get("/healthz")["X-Request-ID"] for _ in range(3)}
    assert len(made) == 3


@pytest.mark.django_db
def test_the_role_is_logged_never_the_user(client, request_log):
    roles.ensure_roles()
    office = User.objects.create_user("office-zhang", password="pw-123456789", is_staff=True)
    office.groups.add(Group.objects.get(name=roles.OFFICE))
    clerk = User.objects.create_user("clerk-li", password="pw-123456789", is_staff=True)
    clerk.groups.add(Group.objects.get(name=roles.CLERK))
    for user in (office, clerk):
        client.force_login(user)
        client.get("/admin/")
    client.logout()
    client.get("/")
    logged = lines(request_log)
    assert [entry["role"] for entry in logged if entry["path"] in ("/admin/", "/")] == [
        "office",
        "clerk",
        "anonymous",
    ]
    assert "office-zhang" not in request_log.getvalue()
    assert "clerk-li" not in request_log.getvalue()


@pytest.mark.django_db
def test_a_slow_request_is_a_warning(client, request_log, settings):
    settings.SLOW_REQUEST_SECONDS = 0
    client.get("/healthz")
    (entry,) = lines(request_log)
    assert entry["level"] == "WARNING"
    assert entry["slow"] is True


def boom(request):
    raise RuntimeError("something broke")


# A URL that fails, beside the site's (pytest.mark.urls below).
urlpatterns = [path("boom/", boom), *site_urlpatterns]


@pytest.mark.django_db
@pytest.mark.urls("tests.core.test_observability")
def test_a_server_error_is_one_json_line_with_the_requests_id(client, request_log):
    logger, handler, errors = _json_handler("django.request")
    try:
        client.raise_request_exception = False
        response = client.get("/boom/?q=秘密")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    (error,) = lines(errors)
    assert error["level"] == "ERROR"
    assert error["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: something broke" in error["traceback"]
    assert "秘密" not in errors.getvalue()
    (request,) = lines(request_log)
    assert request["status"] == 500 and request["request_id"] == response["X-Request-ID"]


@pytest.fixture
def task_log():
    logger, handler, stream = _json_handler("config.celery")
    yield stream
    logger.removeHandler(handler)


@celery_app.task(name="tests.core.failing_job")
def failing_job(letter_text):
    raise ValueError("答复函第3页无法识别")


def test_a_failed_job_is_logged_with_its_cause_not_its_arguments(task_log):
    # As a worker runs it (throw=False): the failure is recorded, not raised to the caller.
    result = failing_job.apply(args=["张三的答复函全文"], throw=False)
    assert result.failed()
    (entry,) = lines(task_log)
    assert entry["level"] == "ERROR"
    assert entry["event"] == "task_failure"
    assert entry["task"] == "tests.core.failing_job"
    assert entry["task_id"]
    assert entry["cause"] == "ValueError: 答复函第3页无法识别"
    assert "Traceback" in entry["traceback"]
    assert "张三的答复函全文" not in task_log.getvalue()


# ---------------------------------------------------------------------------
# /metrics
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_the_allowed_addresses_only(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.8.0.0/16"]
    client.get("/healthz")
    for address in ("127.0.0.1", "10.8.3.4"):
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 200, address
        assert response["Content-Type"].startswith("text/plain")
        assert b"django_http_requests_latency_seconds_by_view_method" in response.content
        assert "no-cache" in response["Cache-Control"]
    for address in ("10.9.0.1", "203.0.113.5", "::1"):
        assert client.get("/metrics", REMOTE_ADDR=address).status_code == 404, address
    # A forwarded header is never believed: only the connection's address counts.
    denied = client.get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert denied.status_code == 404


@pytest.mark.django_db
def test_metrics_are_off_with_an_empty_allow_list(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_metrics_are_served_over_plain_http(client, settings):
    """Prometheus scrapes inside the private network: no https redirect for /metrics."""
    settings.SECURE_SSL_REDIRECT = True
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/proposals/", REMOTE_ADDR="127.0.0.1").status_code == 301
