"""Middleware of the whole site."""

from core.views import bad_request


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
