"""The proposer's satisfaction rating (满意度测评): one, or many at once."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.bulk import update_rows
from proposals.models import Proposal
from proposals.services import Status, transition, transition_all
from replies.models import (
    Reply,
    Satisfaction,
)
from replies.services import rollups
from replies.services.notifications import notify_department_of_rehandling


def _check(*, reply: Reply, satisfaction: str) -> None:
    if satisfaction not in Satisfaction.values:
        raise ValidationError(_("请选择满意、基本满意或不满意。"), code="satisfaction")
    if not reply.is_published:
        raise ValidationError(_("答复公开后才能评价。"), code="unpublished")


def _reopened(proposal: Proposal) -> bool:
    """An unsatisfied rating sends a replied (or closed) proposal back for re-handling;
    a closed one is reopened as replied first. Whether it is to move to assigned."""
    if proposal.status not in (Status.REPLIED, Status.CLOSED):
        return False
    if proposal.status == Status.CLOSED:
        proposal.status = Status.REPLIED
    return True


@transaction.atomic
def rate_reply(*, reply: Reply, satisfaction: str, comment: str = "") -> Reply:
    """The proposer's rating; 不满意 reopens the proposal for re-handling (退回重办)."""
    _check(reply=reply, satisfaction=satisfaction)
    reply.satisfaction = satisfaction
    reply.satisfaction_comment = comment
    reply.rated_at = timezone.now()
    reply.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
    if satisfaction == Satisfaction.UNSATISFIED:
        proposal = reply.proposal
        if _reopened(proposal):
            transition(proposal=proposal, to=Status.ASSIGNED)
        transaction.on_commit(lambda: notify_department_of_rehandling(reply))
    rollups.public_change(replies=[reply.pk])  # the dashboard's satisfaction rates
    return reply


@dataclass(frozen=True)
class Rating:
    reply: Reply
    satisfaction: str
    comment: str = ""


@transaction.atomic
def rate_replies(ratings: Sequence[Rating]) -> list[Reply]:
    """``rate_reply`` for many replies (ratings collected on paper and entered together, a
    data load), in a few queries for all: every rating valid or none stored; the replies
    written with their history rows, the proposals rated 不满意 sent back for re-handling
    together, each department told after the commit, the public-data version bumped once.
    The replies' proposals are read from ``reply.proposal`` (select them with the replies).
    """
    for rating in ratings:
        _check(reply=rating.reply, satisfaction=rating.satisfaction)
    if not ratings:
        return []
    now = timezone.now()
    replies = []
    for rating in ratings:
        reply = rating.reply
        reply.satisfaction = rating.satisfaction
        reply.satisfaction_comment = rating.comment
        reply.rated_at = reply.updated_at = now
        replies.append(reply)
    update_rows(replies, ["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
    Reply.history.bulk_history_create(replies, update=True, batch_size=500)
    unsatisfied = [reply for reply in replies if reply.satisfaction == Satisfaction.UNSATISFIED]
    reopened = {
        reply.proposal_id: reply.proposal for reply in unsatisfied if _reopened(reply.proposal)
    }
    transition_all(proposals=list(reopened.values()), to=Status.ASSIGNED)
    for reply in unsatisfied:
        transaction.on_commit(lambda reply=reply: notify_department_of_rehandling(reply))
    rollups.public_change(replies=[reply.pk for reply in replies])  # satisfaction rates
    return replies
