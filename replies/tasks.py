"""Background work (Celery, ``config/celery.py``): each task takes ids, never letter text,
and is safe to run twice (tasks are acknowledged after they ran). Without ``REDIS_URL``
they run eagerly inside the caller."""

from celery import shared_task
from django.db import transaction

from core.versioning import bump_public_version
from proposals.models import Proposal
from replies.services import indexing, reminders, repeats, rollups
from replies.services.letters import jobs
from replies.services.letters.jobs import import_batch

__all__ = [
    "advance_rollups",
    "import_batch",
    "rebuild_repeats",
    "refresh_repeats",
    "reindex",
    "remove_stale_uploads",
    "send_reminders",
]

REINDEX_BATCH = 500


@shared_task(name="replies.tasks.send_reminders")
def send_reminders() -> dict[str, int]:
    """The daily reminder e-mails (beat, 08:00 Beijing time); idempotent per day."""
    return reminders.send_reminders()


@shared_task(name="replies.tasks.reindex")
def reindex(proposal_ids: list[int] | None = None) -> int:
    """Refresh the search index of these proposals, or of all of them: a batch of 500 per
    transaction, so searches see each batch old or new, never half-written."""
    if proposal_ids is None:
        proposal_ids = list(Proposal.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(proposal_ids), REINDEX_BATCH):
        with transaction.atomic():
            indexing.reindex_proposals(proposal_ids[start : start + REINDEX_BATCH])
    return len(proposal_ids)


@shared_task(name="replies.tasks.remove_stale_uploads")
def remove_stale_uploads() -> int:
    """Uploads of batches no worker finished within a day are deleted (hourly)."""
    return jobs.remove_stale()


@shared_task(name="replies.tasks.advance_rollups")
def advance_rollups() -> int:
    """Just after midnight: the roll-ups count overdue as of the new day (until it runs,
    readers add the day's change themselves: ``rollups.overdue_correction``)."""
    return rollups.advance()


@shared_task(name="replies.tasks.refresh_repeats")
def refresh_repeats(proposal_ids: list[int]) -> int:
    """此前相关提案 of these proposals, after a batch import committed."""
    with transaction.atomic():
        count = repeats.refresh(proposal_ids)
        bump_public_version(scoped=True)  # the pages whose list changed were moved
    return count


@shared_task(name="replies.tasks.rebuild_repeats")
def rebuild_repeats() -> int:
    """Nightly: every 此前相关提案 link recomputed (the write paths refresh the proposals
    they touch; this catches what they cannot see, such as a changed rule)."""
    return repeats.rebuild()
