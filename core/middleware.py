"""Middleware of the whole site."""

import logging

from core.views import DATABASE_UNAVAILABLE, bad_request, service_unavailable

logger = logging.getLogger(__name__)


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
