"""Commitment deadlines: a draft's date is edited freely; once published a date changes only
by a recorded decision — a request with a reason, approved by the proposal office — and
the public page shows the date first promised beside the approved one.
"""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import is_office
from replies.models import CommitmentItem, DeadlineChange, Reply, Target
from replies.services import rollups
from replies.services.progress import claim_version


@transaction.atomic
def set_draft_due(
    *,
    commitment: CommitmentItem,
    due_on: datetime.date | None,
    expected_version: int | None,
    actor: AbstractBaseUser | None,
) -> CommitmentItem:
    """A draft's due date, changed by its editor (the history keeps the old one)."""
    if expected_version is None:
        raise ValidationError(_("缺少版本信息：请重新打开这一页再修改。"), code="version")
    current = claim_version(commitment=commitment, expected_version=expected_version)
    reply = Reply.objects.get(pk=current.reply_id)
    if reply.was_published:
        raise ValidationError(
            _("这项承诺已经公开：期限只能通过“申请变更期限”并经提案委批准后修改。"),
            code="published",
        )
    current.due_on = due_on
    if actor is not None:
        current._history_user = actor
    current.save(update_fields=["due_on", "version", "updated_at"])
    Target.objects.filter(commitment=current).update(due_on=due_on)
    return current


@transaction.atomic
def request_change(
    *,
    commitment: CommitmentItem,
    new_due: datetime.date,
    reason: str,
    actor: AbstractBaseUser | None,
) -> DeadlineChange:
    """Ask to move a published commitment's due date; the reason will be published."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写变更理由：批准后它将显示在公开页面上。"), code="reason")
    commitment = CommitmentItem.objects.select_for_update().get(pk=commitment.pk)
    reply = Reply.objects.get(pk=commitment.reply_id)
    if not reply.was_published:
        raise ValidationError(_("草稿中的期限可以直接修改，不需要申请。"), code="draft")
    if (
        commitment.due_on is not None
        and new_due <= commitment.due_on
        and not (actor is not None and is_office(actor))
    ):
        raise ValidationError(
            _("新的期限必须晚于现在的期限（%(due)s）。") % {"due": commitment.due_on.isoformat()},
            code="earlier",
        )
    if DeadlineChange.objects.filter(
        commitment=commitment, status=DeadlineChange.Status.PENDING
    ).exists():
        raise ValidationError(_("这项承诺已有一份待审核的期限变更申请。"), code="pending")
    change = DeadlineChange(
        commitment=commitment,
        old_due=commitment.due_on,
        new_due=new_due,
        reason=reason,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    change.full_clean()
    change.save()
    return change


@transaction.atomic
def approve_change(
    *,
    change: DeadlineChange,
    actor: AbstractBaseUser,
    allow_earlier: bool = False,
    note: str = "",
) -> DeadlineChange:
    """The office approves: the commitment's due date moves, in public, with the reason.
    A date earlier than the current one needs ``allow_earlier`` (the office says so)."""
    if not is_office(actor):
        raise PermissionDenied(_("只有提案委可以批准期限变更。"))
    change = DeadlineChange.objects.select_for_update().get(pk=change.pk)
    if change.status != DeadlineChange.Status.PENDING:
        raise ValidationError(_("这份申请已经处理过了。"), code="decided")
    commitment = CommitmentItem.objects.select_for_update().get(pk=change.commitment_id)
    if commitment.due_on is not None and change.new_due <= commitment.due_on and not allow_earlier:
        raise ValidationError(
            _("新的期限（%(new)s）不晚于现在的期限（%(due)s）：如确需提前，请勾选“允许提前”。")
            % {"new": change.new_due.isoformat(), "due": commitment.due_on.isoformat()},
            code="earlier",
        )
    if commitment.promised_on is None:
        commitment.promised_on = commitment.due_on
    commitment.due_on = change.new_due
    commitment.version += 1
    commitment._history_user = actor
    commitment.save(update_fields=["due_on", "promised_on", "version", "updated_at"])
    Target.objects.filter(commitment=commitment).update(due_on=change.new_due)
    change.status = DeadlineChange.Status.APPROVED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if Reply.objects.filter(pk=commitment.reply_id).published().exists():
        rollups.public_change(commitments=[commitment.pk])
    return change


@transaction.atomic
def reject_change(
    *, change: DeadlineChange, actor: AbstractBaseUser, note: str = ""
) -> DeadlineChange:
    if not is_office(actor):
        raise PermissionDenied(_("只有提案委可以审核期限变更。"))
    change = DeadlineChange.objects.select_for_update().get(pk=change.pk)
    if change.status != DeadlineChange.Status.PENDING:
        raise ValidationError(_("这份申请已经处理过了。"), code="decided")
    change.status = DeadlineChange.Status.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return change
