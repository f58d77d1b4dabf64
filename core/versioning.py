"""The public-data version (``core.models.PublicDataVersion``): read by the page cache and
conditional GETs, bumped by the services that change public data."""

import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest, Now
from django.dispatch import Signal
from django.utils import timezone

from core.models import PublicDataVersion

# Sent inside the writer's transaction with ``ids``: the proposals whose public pages
# changed (``ProposalQuerySet.touch_pages``); the portal renders them again after commit.
pages_changed = Signal()


class Version(NamedTuple):
    value: int  # moves with every public change
    changed_at: datetime.datetime
    broad: int  # moves with every public change not scoped to given proposals
    # The office's settings, read with it (``PublicDataVersion``'s other fields).
    department_figures_public: bool = True


VERSION_FIELDS = ("value", "changed_at", "broad", "department_figures_public")


def bump_public_version(*, scoped: bool = False) -> None:
    """Say that public data changed, inside the writer's transaction: readers see the new
    version exactly when they can see the change. Call it as a service's last write (it
    holds the row's lock until the commit, so writers of public data queue here rather
    than in between their other locks). Monotonic: the time never goes back.

    ``scoped=True`` only from a writer that moved the ``page_version`` of every proposal
    whose page shows the change (``replies.services.rollups.public_change``); any other
    change moves ``broad`` too, so that every page keyed on its own version is stale.
    """
    changes = {"value": F("value") + 1, "changed_at": Greatest(F("changed_at"), Now())}
    if not scoped:
        changes["broad"] = F("broad") + 1
    updated = PublicDataVersion.objects.filter(pk=1).update(**changes)
    if not updated:  # a database whose row was removed by hand
        PublicDataVersion.objects.get_or_create(
            pk=1, defaults={"value": 2, "broad": 2, "changed_at": timezone.now()}
        )


def public_version() -> Version:
    """The version of the public data and the office's settings, in one query."""
    row = PublicDataVersion.objects.filter(pk=1).values_list(*VERSION_FIELDS).first()
    return (
        Version(*row) if row else Version(1, datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), 1)
    )


def set_office_settings(*, department_figures_public: bool) -> None:
    """The office's settings of the public site: every page may show them, so the change
    is a public change of unknown scope (the broad version moves too)."""
    with transaction.atomic():
        PublicDataVersion.objects.filter(pk=1).update(
            department_figures_public=department_figures_public
        )
        bump_public_version()
