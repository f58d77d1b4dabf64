"""The public-data version (``core.models.PublicDataVersion``): read by the page cache and
conditional GETs, bumped by the services that change public data."""

import datetime

from django.db.models import F
from django.db.models.functions import Greatest, Now
from django.utils import timezone

from core.models import PublicDataVersion


def bump_public_version() -> None:
    """Say that public data changed, inside the writer's transaction: readers see the new
    version exactly when they can see the change. Call it as a service's last write (it
    holds the row's lock until the commit, so writers of public data queue here rather
    than in between their other locks). Monotonic: the time never goes back."""
    updated = PublicDataVersion.objects.filter(pk=1).update(
        value=F("value") + 1, changed_at=Greatest(F("changed_at"), Now())
    )
    if not updated:  # a database whose row was removed by hand
        PublicDataVersion.objects.get_or_create(
            pk=1, defaults={"value": 2, "changed_at": timezone.now()}
        )


def public_version() -> tuple[int, datetime.datetime]:
    """(value, changed_at) of the public data, in one query."""
    row = PublicDataVersion.objects.filter(pk=1).values_list("value", "changed_at").first()
    return row or (1, datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
