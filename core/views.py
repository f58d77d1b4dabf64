"""Site plumbing views: the health check, the metrics, the 400, 500 and 503 pages and
django-axes' login hooks."""

import functools
import ipaddress
import math
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as default_server_error
from django_prometheus.exports import ExportToDjangoView

# What the database raises while it cannot be reached (refused, restarting, connection
# lost mid-request): the site is unavailable for a while, not broken.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@never_cache
def healthz(request):
    """200 only when the database answers: what a load balancer needs to know."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def metrics(request):
    """Prometheus' /metrics (django-prometheus), for the addresses of METRICS_ALLOWED_IPS only;
    anyone else gets the 404 page, as if there were nothing here.

    The address is the connection's (REMOTE_ADDR), never a forwarded header a client could
    write: Prometheus scrapes the app servers directly, and the proxy refuses /metrics
    (docs/deployment.md). Under gunicorn the figures are every worker's, summed
    (prometheus_client's multiprocess mode, deploy/gunicorn.conf.py).
    """
    if not _metrics_allowed(request.META.get("REMOTE_ADDR", "")):
        raise Http404
    return ExportToDjangoView(request)


def _metrics_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def service_unavailable(request) -> HttpResponse:
    """The 503 page: the database cannot be reached. Rendered without the request's
    context, because the context processors (the user, the messages) read the session
    from the database that is down."""
    response = HttpResponse(
        loader.render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8"
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    """handler500: a database outage raised outside a view (the session saved by its
    middleware, say) is the 503 page too; anything else is the 500 page."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return default_server_error(request)


def bad_request(request, exception):
    """handler400: an oversized or malformed request gets a page that says so in Chinese."""
    return render(request, "core/bad_request.html", status=400)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page in Chinese, status 429.

    Used by the members' login and the admin login alike.
    """
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request,
        "core/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )


def axes_username(request, credentials=None) -> str | None:
    """The user name django-axes counts failures for (AXES_USERNAME_CALLABLE): as typed,
    cut to what its column holds. The login form does not limit what is typed, and on
    PostgreSQL a longer name made the failed login itself fail with a server error."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field) if credentials else request.POST.get(field)
    if value is None:
        return None
    return str(value).replace("\x00", "")[:255]
