"""Public proposal pages rendered ahead of their visitors (``core.models.PageSnapshot``).

A proposal's page is keyed on its own version (``Proposal.page_version``, moved by every
service that changes what it shows) and the broad version; after each such change the
page is rendered again off the request (``portal.tasks.render_pages``, queued on commit),
so the first visitor after a change — or a visitor to any page of a hundred thousand —
is served a stored page instead of waiting for a render. A snapshot whose version is not
current is never served: the page is rendered for the visitor as before.

Snapshots are rendered for the host of ``SITE_URL`` (the page shows its permanent link
with it); requests for another host are rendered live.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.test import RequestFactory
from django.urls import resolve
from django.utils.encoding import uri_to_iri

from core.caching import scoped_token, snapshot_key, token_is_current
from core.models import PageSnapshot
from core.versioning import public_version
from proposals.models import Proposal
from replies import selectors

logger = logging.getLogger(__name__)

BATCH = 200


def _site() -> tuple[str, bool]:
    parts = urlsplit(settings.SITE_URL)
    return parts.netloc, parts.scheme == "https"


def render_pages(proposal_ids: Iterable[int]) -> int:
    """Render the public pages of these proposals and store them; a proposal that is not
    public loses its snapshot. Returns how many were stored."""
    from portal.views.public import render_proposal

    host, secure = _site()
    factory = RequestFactory()
    stored = 0
    ids = sorted(set(proposal_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        proposals = (
            Proposal.objects.filter(pk__in=chunk)
            .select_related("session__committee")
            .defer("search_vector")
        )
        for proposal in proposals:
            path = proposal.get_absolute_url()
            if not path:
                continue
            request = factory.get(path, HTTP_HOST=host, secure=secure)
            # Keyed as the page's requests are: by their decoded path (a committee's slug
            # may be Chinese; get_absolute_url percent-encodes it).
            key = snapshot_key(host, request.path)
            if not proposal.is_public:
                PageSnapshot.objects.filter(key=key).delete()
                continue
            try:
                request.get_host()
            except DisallowedHost:
                logger.warning("SITE_URL's host %s is not in ALLOWED_HOSTS: no snapshots", host)
                return stored
            kwargs = resolve(request.path_info).kwargs
            # The version first, then the page: what is stored is never older than the
            # version it is stored under (a write in between makes it stale, not wrong).
            version = public_version()
            candidates = selectors.proposal_candidates(**kwargs)
            token = scoped_token(selectors.page_version(candidates), version.broad)
            request._proposal_candidates = candidates
            try:
                response = render_proposal(request, **kwargs)
            except Exception:  # one odd page must not stop the others (nor the writer)
                logger.exception("Could not render the page of proposal %s", proposal.pk)
                continue
            if response.status_code not in (200, 410):
                continue
            PageSnapshot.objects.update_or_create(
                key=key,
                defaults={
                    "token": token,
                    "valid_until": getattr(response, "valid_until", None),
                    "status": response.status_code,
                    "content_type": response["Content-Type"],
                    "body": response.content,
                },
            )
            stored += 1
    return stored


def stale_pages(limit: int | None = None) -> list[int]:
    """Public proposals whose page has no current snapshot (never rendered, changed since,
    or past its ``valid_until``) — what the nightly job renders again."""
    from django.utils import timezone

    host, _secure = _site()
    broad = public_version().broad
    current: dict[str, tuple[str, object]] = {
        key: (token, valid_until)
        for key, token, valid_until in PageSnapshot.objects.filter(
            key__startswith=f"{host}|"
        ).values_list("key", "token", "valid_until")
    }
    today = timezone.localdate()
    stale = []
    proposals = (
        Proposal.objects.public()
        .select_related("session__committee")
        .defer("search_vector")
        .order_by("pk")
    )
    for proposal in proposals.iterator(chunk_size=2000):
        path = proposal.get_absolute_url()
        if not path:
            continue
        token, valid_until = current.get(snapshot_key(host, uri_to_iri(path)), ("", None))
        # The stored token names this proposal's version (and, rarely, another proposal's
        # whose number is this one's slug), the broad version and the release.
        fresh = token_is_current(token, f"{proposal.pk}.{proposal.page_version}", broad)
        if not fresh or (valid_until is not None and valid_until <= today):
            stale.append(proposal.pk)
            if limit is not None and len(stale) >= limit:
                break
    return stale
