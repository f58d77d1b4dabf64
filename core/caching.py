"""Caching helpers: the public page cache and roll-ups cached until the next write.

Both key their entries on the public-data version, which the domain layer computes: core
reaches it through the ``PUBLIC_DATA_VERSION`` setting (a dotted path to a function
returning a string), so it never imports an app above it.
"""

import hashlib
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string

PAGE_CACHE_SECONDS = 60
ROLLUP_CACHE_SECONDS = 600
CACHED_HEADERS = ["Content-Type", "Last-Modified", "Content-Language"]


def public_data_version() -> str:
    return import_string(settings.PUBLIC_DATA_VERSION)()


def cache_public_page(view):
    """Serve a public page from the cache while nothing it shows has changed.

    The key holds the full URL and ``public_data_version()`` (one query on indexed
    timestamps), so publishing, importing or updating anything public changes the key at
    once; entries also expire after ``PAGE_CACHE_SECONDS``, which bounds how long a
    deletion or a reply whose publication time comes later can go unseen. Visitors with a
    session (staff, committee members) and conditional requests skip the cache.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if (
            request.method != "GET"
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "If-Modified-Since" in request.headers
            or "If-None-Match" in request.headers
        ):
            return view(request, *args, **kwargs)
        url = request.build_absolute_uri()
        key = "page:" + hashlib.sha256(f"{url}|{public_data_version()}".encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            content, headers = cached
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            # A page carrying a per-request CSP nonce cannot be served twice.
            and b'nonce="' not in response.content
        ):
            headers = {name: response[name] for name in CACHED_HEADERS if response.has_header(name)}
            cache.set(key, (response.content, headers), PAGE_CACHE_SECONDS)
        return response

    return wrapper


def cached_until_write(name: str, parts: Iterable[Any], compute: Callable[[], Any]) -> Any:
    """``compute()``, cached until anything public is written or the day changes.

    For roll-ups that read every row in scope (a second at province scale): the key holds
    ``public_data_version()`` and today's date (overdue counts change at midnight), so a
    publication, import or update shows at once; entries also expire after ten minutes.
    """
    scope = "|".join(
        [public_data_version(), timezone.localdate().isoformat(), *(str(p) for p in parts)]
    )
    key = f"{name}:" + hashlib.sha256(scope.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ROLLUP_CACHE_SECONDS)
    return value
