from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reindex(sender, proposal_ids, **kwargs) -> None:
    from replies.services.indexing import reindex_proposals

    reindex_proposals(proposal_ids)


def _recount(sender, proposal_ids, sessions_before, before=frozenset(), **kwargs) -> None:
    from replies.services import rollups

    cells = rollups.cells_of(proposals=proposal_ids)
    # A proposal moved to another session: the cells it left are recounted too.
    left = {session for session in sessions_before.values() if session is not None}
    cells |= {(session, department) for session in left for _s, department in cells}
    # ... and the (session, lead department) cells it was counted in as assigned.
    rollups.refresh(cells | set(before))


def _relink(sender, proposal_ids, **kwargs) -> None:
    from replies.services import repeats

    repeats.refresh(proposal_ids)


def _queue_relink(sender, proposal_ids, **kwargs) -> None:
    # After a batch import's commit: a job (eager without Redis).
    from core.jobs import queue
    from replies.tasks import refresh_repeats

    queue(refresh_repeats, list(proposal_ids), what="此前相关提案 refresh")


def _build_tallies(sender, **kwargs) -> None:
    """After migrate: count the roll-ups once, if they were never counted (a new database,
    or the migration that adds them on an existing one) or a migration added columns to
    them (``TallyState.rebuild_needed``)."""
    from replies.models import TallyState
    from replies.services import rollups

    state = TallyState.objects.filter(pk=1).values_list("rebuild_needed", flat=True).first()
    if state is None or state:
        rollups.rebuild()


class RepliesConfig(AppConfig):
    name = "replies"
    verbose_name = _("答复与承诺")

    def ready(self) -> None:
        from proposals.services import public_counts_changed, public_text_changed, subject_changed

        # A public proposal's own text changed: its search entry follows, in the same
        # transaction (the proposals app cannot call the replies app's indexing).
        public_text_changed.connect(_reindex, dispatch_uid="replies.reindex_proposal")
        public_counts_changed.connect(_recount, dispatch_uid="replies.recount_proposal")
        # 此前相关提案 follow a proposal's title and session (repeats.refresh).
        subject_changed.connect(_relink, dispatch_uid="replies.relink_proposal")
        from replies.services.repeats import refresh_requested

        refresh_requested.connect(_queue_relink, dispatch_uid="replies.queue_relink")
        post_migrate.connect(_build_tallies, sender=self, dispatch_uid="replies.build_tallies")
