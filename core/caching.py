"""Caching helpers: public pages (conditional GETs and the page cache) and roll-ups cached
until the next write, all keyed on the public-data version (``core.versioning``)."""

import hashlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import condition

from core.versioning import public_version

PAGE_CACHE_SECONDS = 60
ROLLUP_CACHE_SECONDS = 600
CACHED_HEADERS = ["Content-Type", "Last-Modified", "ETag", "Content-Language"]


# The version read for the request being answered (set by ``public_page``), so that a
# page and the roll-ups it shows read it once.
_request_version: ContextVar[tuple[int, Any] | None] = ContextVar("public_version", default=None)


def _version(request) -> tuple[int, Any]:
    """The public-data version, read once per request."""
    if not hasattr(request, "_public_version"):
        request._public_version = public_version()
    return request._public_version


def public_etag(request, *args, **kwargs) -> str:
    return f'"v{_version(request)[0]}"'


def public_last_modified(request, *args, **kwargs):
    return _version(request)[1]


def public_page(view):
    """A public page: answered 304 while the public data have not changed since the
    client's copy (``ETag``/``Last-Modified`` from the public-data version, so they move
    with every public change — a withdrawal included — and never with a draft), and
    served from the page cache until then.

    Visitors with a session (staff, committee members) skip the cache; the key holds the
    full URL and the version, so nothing in it depends on who asks.
    """

    @wraps(view)
    def cached(request, *args, **kwargs):
        token = _request_version.set(_version(request))
        try:
            return serve(request, *args, **kwargs)
        finally:
            _request_version.reset(token)

    def serve(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return view(request, *args, **kwargs)
        url = request.build_absolute_uri()
        key = "page:" + hashlib.sha256(f"{url}|{_version(request)[0]}".encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            content, headers, status = hit
            return HttpResponse(content, headers={**headers, "X-Cache": "hit"}, status=status)
        response = view(request, *args, **kwargs)
        # For the operator and the benchmark (its hit ratio): was this page cached?
        response["X-Cache"] = "miss"
        if (
            response.status_code in (200, 410)
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            # A page carrying a per-request CSP nonce cannot be served twice.
            and b'nonce="' not in response.content
        ):
            headers = {name: response[name] for name in CACHED_HEADERS if response.has_header(name)}
            cache.set(key, (response.content, headers, response.status_code), PAGE_CACHE_SECONDS)
        return response

    return condition(etag_func=public_etag, last_modified_func=public_last_modified)(cached)


def cached_until_write(name: str, parts: Iterable[Any], compute: Callable[[], Any]) -> Any:
    """``compute()``, cached until anything public is written or the day changes.

    For roll-ups that read every row in scope (a second at province scale): the key holds
    the public-data version and today's date (overdue counts change at midnight), so a
    publication, import or update shows at once; entries also expire after ten minutes.
    """
    version = _request_version.get() or public_version()
    scope = "|".join(
        [
            str(version[0]),
            timezone.localdate().isoformat(),
            *(str(part) for part in parts),
        ]
    )
    key = f"{name}:" + hashlib.sha256(scope.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ROLLUP_CACHE_SECONDS)
    return value
