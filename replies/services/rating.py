"""The proposer's satisfaction rating (满意度测评)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versioning import bump_public_version
from proposals.services import Status, transition
from replies.models import (
    Reply,
    Satisfaction,
)
from replies.services.notifications import notify_department_of_rehandling


@transaction.atomic
def rate_reply(*, reply: Reply, satisfaction: str, comment: str = "") -> Reply:
    """The proposer's rating; 不满意 reopens the proposal for re-handling (退回重办)."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError(_("请选择满意、基本满意或不满意。"), code="satisfaction")
    if not reply.is_published:
        raise ValidationError(_("答复公开后才能评价。"), code="unpublished")
    reply.satisfaction = satisfaction
    reply.satisfaction_comment = comment
    reply.rated_at = timezone.now()
    reply.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at", "updated_at"])
    if satisfaction == Satisfaction.UNSATISFIED:
        proposal = reply.proposal
        if proposal.status in (Status.REPLIED, Status.CLOSED):
            if proposal.status == Status.CLOSED:
                # A closed proposal is reopened as replied first, then sent back.
                proposal.status = Status.REPLIED
            transition(proposal=proposal, to=Status.ASSIGNED)
        transaction.on_commit(lambda: notify_department_of_rehandling(reply))
    bump_public_version()  # the dashboard's satisfaction rates
    return reply
