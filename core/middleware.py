"""Middleware of the whole site."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404
from django.views.defaults import page_not_found

from core.logs import current_request_id
from core.roles import Role, role_of
from core.views import DATABASE_UNAVAILABLE, bad_request, service_unavailable

logger = logging.getLogger(__name__)
request_logger = logging.getLogger("core.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# An id from the proxy (nginx's $request_id) or a client is kept only when it is a plain
# token, so that nothing a client sends can forge or break a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestLogMiddleware:
    """One JSON line per request (logger ``core.requests``), with a request id.

    Fields: request_id, method, path (never the query string: search terms stay out of the
    logs), status, duration_ms, role (anonymous, member, clerk, office or staff; unknown
    while the database cannot be reached). No IP
    address, no user name, no request or response body. A request slower than
    SLOW_REQUEST_SECONDS is the same line at WARNING with ``"slow": true``.

    The id comes from the X-Request-ID request header when it is a plain token (the proxy
    sets one) or is made here, and is sent back in the X-Request-ID response header, so
    that a user's report, the proxy's log and this line can be matched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        response = None
        try:
            response = self.get_response(request)
        finally:
            seconds = time.perf_counter() - started
            if response is not None:
                response[REQUEST_ID_HEADER] = request_id
            fields = {
                "event": "request",
                "request_id": request_id,
                "method": request.method[:16],
                "path": request.path[:512],
                "status": response.status_code if response is not None else 500,
                "duration_ms": round(seconds * 1000, 1),
                "role": _role(request),
            }
            level = logging.INFO
            if seconds > settings.SLOW_REQUEST_SECONDS:
                fields["slow"] = True
                level = logging.WARNING
            request_logger.log(level, "request", extra={"fields": fields})
            current_request_id.reset(token)
        return response


def _role(request) -> str:
    """The role for the request log, without a database query for a visitor who has no
    session, and without failing the request when the database is down."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not hasattr(request, "user"):
        return "anonymous"
    try:
        role = role_of(request.user)
    except DatabaseError:
        return "unknown"
    return "anonymous" if role == Role.PUBLIC else str(role)


class RejectNulInQueryMiddleware:
    """A NUL character in the path or a query parameter is a 400, before any view sees it.

    No text of ours contains NUL, PostgreSQL cannot store or even compare text with one,
    and the admin's search boxes and filters hand query parameters straight to it (a 500
    before this). Forms already refuse NUL in what they post, field by field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return bad_request(request, None)
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return bad_request(request, None)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers the 503 page (in Chinese, with
    Retry-After), not the 500 page: the database is restarting or unreachable, and the
    user should try again shortly. Nothing was saved — a write's transaction never
    committed, or the commit never returned.

    Errors raised outside a view (a middleware saving the session) reach handler500,
    which answers the same page (``core.views.server_error``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            logger.warning(
                "database unavailable: %s %s: %s", request.method, request.path, exception
            )
            return service_unavailable(request)
        return None


class NotFoundPageMiddleware:
    """The site's Chinese 404 page with DEBUG on too, where Django would show its technical
    page (in English, listing every URL pattern). The 403 page needs no help: Django
    renders 403.html in debug as well. A 500 keeps Django's debug page in development.

    A view's ``Http404`` is caught here; a path that matches no URL (no ``resolver_match``)
    has its technical answer replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
