"""Caching helpers: public pages (conditional GETs and the page cache) and roll-ups cached
until the next write, all keyed on the public-data version (``core.versioning``)."""

import functools
import hashlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import condition

from core.models import PageSnapshot
from core.release import code_hash
from core.versioning import Version, public_version

PAGE_CACHE_SECONDS = 60
ROLLUP_CACHE_SECONDS = 600
CACHED_HEADERS = ["Content-Type", "Last-Modified", "ETag", "Content-Language"]


# The version read for the request being answered (set by ``public_page``), so that a
# page and the roll-ups it shows read it once.
_request_version: ContextVar[Version | None] = ContextVar("public_version", default=None)


def _version(request) -> Version:
    """The public-data version, read once per request."""
    if not hasattr(request, "_public_version"):
        request._public_version = public_version()
    return request._public_version


@functools.cache
def code_release() -> str:
    """What renders the pages: a hash of the app's code, templates and static files, so
    that pages stored by an earlier release (``PageSnapshot``, the page cache) are not
    served by a new one. ``DJANGO_RELEASE`` names it outright (a deployment's commit)."""
    named = getattr(settings, "RELEASE", "")
    if named:
        return named[:16]
    return code_hash(Path(settings.BASE_DIR))


def scoped_token(own: str, broad: int) -> str:
    """The version of a page keyed on its own version (see ``public_page``)."""
    return f"p{own}.b{broad}.r{code_release()}"


def token_is_current(token: str, version: str, broad: int) -> bool:
    """Whether a stored ``scoped_token`` is current for a page whose own version is now
    ``version`` (one of the ``-``-joined versions the token names: a URL may match more
    than one proposal) under this broad version and release."""
    if not token.startswith("p"):
        return False
    own, _sep, rest = token[1:].partition(".b")
    return rest == f"{broad}.r{code_release()}" and version in own.split("-")


def _page_token(request, scope, args, kwargs) -> tuple[str, bool]:
    """What a page's cache key holds, worked out once per request: the public-data
    version, or — for a page with a ``scope`` that names it — that page's own version and
    the broad version (what turns overdue at midnight is handled by ``valid_until``);
    and whether it is the latter (scoped)."""
    if not hasattr(request, "_page_token"):
        # The scope first: it may read the version with its own query (``_version``).
        own = scope(request, *args, **kwargs) if scope is not None else None
        version = _version(request)
        request._page_token = (
            (f"v{version.value}", False)
            if own is None
            else (scoped_token(own, version.broad), True)
        )
    return request._page_token


def snapshot_key(host: str, path: str) -> str:
    return f"{host}|{path}"


def page_token(request, scope, *args, **kwargs) -> str:
    """The token a page's snapshot is stored under (``PageSnapshot.token``)."""
    return _page_token(request, scope, args, kwargs)[0]


def _fresh(valid_until, today) -> bool:
    return valid_until is None or today < valid_until


def public_page(view=None, *, scope: Callable[..., str | None] | None = None):
    """A public page: answered 304 while the public data have not changed since the
    client's copy (``ETag``/``Last-Modified`` from the public-data version, so they move
    with every public change — a withdrawal included — and never with a draft), and
    served from the page cache until then.

    ``scope(request, *args, **kwargs)``, for a page that shows one proposal's data (its
    page and its JSON), returns a token that moves with every public change to what the
    page shows (``Proposal.page_version``; None when there is no such proposal): the key
    then holds it and the broad version instead of the public-data version, so an update
    to another proposal leaves this page cached (a writer that cannot say which pages
    changed moves the broad version, ``core.versioning``). Such a page is kept until
    ``response.valid_until`` (set by the view: the day something on it turns overdue), its
    ETag holds the date too, and on a cache miss its pre-rendered ``PageSnapshot`` is
    served when it is current (``portal.snapshots`` renders them after every change): the
    scope sets ``request.page_snapshot`` = (id, token, valid until) of the stored page,
    read in the same query as the page's version.

    Visitors with a session (staff, committee members) skip the cache; the key holds the
    full URL and the version, so nothing in it depends on who asks.
    """
    if view is None:
        return lambda view: public_page(view, scope=scope)

    def last_modified(request, *args, **kwargs):
        # The last public change anywhere: never earlier than this page's last change.
        # (Asked before the ETag: the scope runs first, it may read the version.)
        _page_token(request, scope, args, kwargs)
        return _version(request).changed_at

    def etag(request, *args, **kwargs) -> str:
        token, scoped = _page_token(request, scope, args, kwargs)
        if scoped:
            return f'"{token}.{timezone.localdate():%Y%m%d}"'
        return f'"{token}"'

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
        page, scoped = _page_token(request, scope, args, kwargs)
        key = "page:" + hashlib.sha256(f"{url}|{page}".encode()).hexdigest()
        today = timezone.localdate()
        hit = cache.get(key)
        if hit is not None:
            content, headers, status, *rest = hit
            if _fresh(rest[0] if rest else None, today):
                return HttpResponse(content, headers={**headers, "X-Cache": "hit"}, status=status)
        # The scope read what is stored for this page (``page_snapshot``: id, token,
        # valid until) with the page's version: fetched only when it is current.
        stored = getattr(request, "page_snapshot", None) if scoped else None
        if stored and stored[0] and stored[1] == page and _fresh(stored[2], today):
            snapshot = (
                PageSnapshot.objects.filter(pk=stored[0], token=page)
                .values_list("body", "content_type", "status", "valid_until")
                .first()
            )
            if snapshot is not None and _fresh(snapshot[3], today):
                body, content_type, status, valid_until = snapshot
                headers = {"Content-Type": content_type}
                cache.set(key, (bytes(body), headers, status, valid_until), PAGE_CACHE_SECONDS)
                return HttpResponse(
                    bytes(body), headers={**headers, "X-Cache": "snapshot"}, status=status
                )
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
            # A page keyed on its own version gets its ETag (which holds the date) from
            # this request, not from the copy.
            names = CACHED_HEADERS if not scoped else ["Content-Type", "Content-Language"]
            headers = {name: response[name] for name in names if response.has_header(name)}
            valid_until = getattr(response, "valid_until", None)
            cache.set(
                key,
                (response.content, headers, response.status_code, valid_until),
                PAGE_CACHE_SECONDS,
            )
        return response

    return condition(etag_func=etag, last_modified_func=last_modified)(cached)


def current_version() -> Version:
    """The public-data version (and the office's settings) this request read, or read
    now when it read none."""
    return _request_version.get() or public_version()


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
