"""The handling workflow: allowed transitions only, deadlines in months and working days."""

import datetime
import hashlib
from collections.abc import Mapping, Sequence

import chinese_calendar
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import update_rows
from core.versioning import bump_public_version
from proposals.models import DeadlineExtension, Department, Proposal, Proposer, number_slug

Status = Proposal.Status

# Sent, inside the writer's transaction, when a public proposal's own text changed (title,
# number, proposers): the replies app reindexes it (a lower layer may not call up).
public_text_changed = Signal()
# Proposals changed in what the roll-ups count (a public one's reply due date or session;
# any one's 交办: status, lead department, reply due date): the replies app recounts their
# cells in the same transaction. ``sessions_before`` maps a proposal moved to another
# session to the one it left; ``before``: the (session, lead department) cells they were
# counted in before the change.
public_counts_changed = Signal()
# Sent, inside the writer's transaction, when a proposal's title or session was set or
# changed, public or not: the replies app recomputes its 此前相关提案 links.
subject_changed = Signal()


def _public_change(
    proposal_ids,
    *,
    sessions_before: dict[int, int] | None = None,
    before: set[tuple[int, int]] | frozenset = frozenset(),
) -> None:
    """Roll-ups, then the public-data version (the last write)."""
    proposal_ids = list(proposal_ids)
    # The proposals' rows first, the tallies' lock after (rollups.public_change's order).
    Proposal.objects.filter(pk__in=proposal_ids).touch_pages()
    public_counts_changed.send(
        sender=Proposal,
        proposal_ids=proposal_ids,
        sessions_before=sessions_before or {},
        before={cell for cell in before if None not in cell},
    )
    bump_public_version(scoped=True)


# What 办复率 counts of any proposal, public or not (its lead department's cell).
COUNTED_FIELDS = {"status", "lead_department", "session", "reply_due"}
# The stored values ``save_proposal`` compares with (attribute → field name).
STORED_FIELDS = {
    "title": "title",
    "number": "number",
    "kind": "kind",
    "session_id": "session",
    "lead_department_id": "lead_department",
    "status": "status",
    "reply_due": "reply_due",
}


def _counted(proposal: Proposal) -> bool:
    """Whether the roll-ups count this proposal as assigned (``rollups.ASSIGNED_STATUSES``):
    its 交办 is behind it and it has a lead department."""
    return proposal.status in ASSIGNED_OR_LATER and proposal.lead_department_id is not None


def _cell(proposal: Proposal) -> tuple[int, int] | None:
    if proposal.lead_department_id is None:
        return None
    return (proposal.session_id, proposal.lead_department_id)


# What a proposal's page shows of the proposal itself.
PUBLIC_FIELDS = {"title", "number", "kind", "session", "lead_department", "status", "reply_due"}
TEXT_FIELDS = {"title", "number"}
# What a repeat is judged by (proposals.repeats): its subject and when it was raised.
SUBJECT_FIELDS = {"title", "session"}


def free_slug(*, session_id: int, number: str, taken: set[str] | None = None) -> str:
    """The URL part for a new proposal's number: the number made URL-safe, or, when another
    proposal of the session has that already (269/2 and 269-2), with a stable suffix."""
    base = number_slug(number)
    taken = taken if taken is not None else set()
    clash = base in taken or (
        Proposal.objects.filter(session_id=session_id, slug=base).exclude(number=number).exists()
    )
    if not clash:
        return base
    return f"{base[:50]}-{hashlib.sha1(number.encode('utf-8')).hexdigest()[:6]}"


@transaction.atomic
def save_proposal(
    *,
    proposal: Proposal,
    changed: set[str] | list[str],
    actor: AbstractBaseUser | None = None,
    recount: bool = True,
) -> Proposal:
    """Staff's edit of a proposal (the admin's form); a public proposal's change is
    reindexed and versioned in the same transaction, and a change to what 办复率 counts
    recounted (``recount=False``: the caller recounts the proposal's cells itself, as the
    importer does with its replies')."""
    if not proposal.slug:
        # Made once, with the proposal; never changed after (its public URL).
        proposal.slug = free_slug(session_id=proposal.session_id, number=proposal.number)
    proposal.full_clean()
    if actor is not None and getattr(actor, "is_authenticated", False):
        proposal._history_user = actor
    changed = set(changed)
    moved = {}
    cells_before: set[tuple[int, int]] = set()
    counted_before = False
    stored = (
        Proposal.objects.filter(pk=proposal.pk).values(*STORED_FIELDS).first()
        if proposal.pk is not None
        else None
    )
    if stored is not None:
        # What the save writes, whatever the form reported: a version restored from the
        # history is measured against that version, not against the row.
        changed |= {
            STORED_FIELDS[name] for name in STORED_FIELDS if stored[name] != getattr(proposal, name)
        }
        if "session" in changed:
            moved = {proposal.pk: stored["session_id"]}
        if stored["lead_department_id"] is not None:
            cells_before.add((stored["session_id"], stored["lead_department_id"]))
            counted_before = stored["status"] in ASSIGNED_OR_LATER
    created = proposal.pk is None
    proposal.save()
    if created or changed & SUBJECT_FIELDS:
        subject_changed.send(sender=Proposal, proposal_ids=[proposal.pk])
    public = proposal.is_public and changed & PUBLIC_FIELDS
    counts = recount and changed & COUNTED_FIELDS and (counted_before or _counted(proposal))
    if public and changed & TEXT_FIELDS:
        public_text_changed.send(sender=Proposal, proposal_ids=[proposal.pk])
    if public or counts:
        _public_change([proposal.pk], sessions_before=moved, before=cells_before)
    return proposal


@transaction.atomic
def delete_proposals(proposals: Sequence[Proposal]) -> int:
    """Delete proposals (with their draft replies) that never had a published reply (a
    proposal never takes public letters with it; the admin refuses those too); an assigned
    one leaves its lead department's 办复率 in the same transaction. Returns how many."""
    ids = [proposal.pk for proposal in proposals]
    locked = list(Proposal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if Proposal.objects.filter(pk__in=ids, replies__published_at__isnull=False).exists():
        raise ValidationError(_("答复已公开过的提案不能删除。"), code="published")
    cells = {_cell(proposal) for proposal in locked if _counted(proposal)}
    Proposal.objects.filter(pk__in=ids).delete()
    if cells:
        public_counts_changed.send(
            sender=Proposal, proposal_ids=[], sessions_before={}, before=cells
        )
        bump_public_version(scoped=True)
    return len(locked)


# submitted → accepted / merged / referred / rejected → assigned → replied → closed;
# a department may return a mis-assigned proposal (assigned → accepted), and an
# unsatisfied proposer sends a replied proposal back for re-handling (replied → assigned).
TRANSITIONS: dict[str, set[str]] = {
    Status.SUBMITTED: {Status.ACCEPTED, Status.MERGED, Status.REFERRED, Status.REJECTED},
    Status.ACCEPTED: {Status.ASSIGNED},
    Status.ASSIGNED: {Status.REPLIED, Status.ACCEPTED},
    Status.REPLIED: {Status.CLOSED, Status.ASSIGNED},
    Status.MERGED: set(),
    Status.REFERRED: set(),
    Status.REJECTED: set(),
    Status.CLOSED: set(),
}


class TransitionError(ValidationError):
    pass


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day of month ``months`` later, clamped to the month's end (31 Jan + 1 → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def is_workday(day: datetime.date) -> bool:
    """Chinese public holidays and make-up workdays (调休) where the calendar knows the year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the package does not cover yet: plain weekdays.
        return day.weekday() < 5


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    current = day
    remaining = count
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current


def transition(*, proposal: Proposal, to: str, today: datetime.date | None = None) -> Proposal:
    """Move a proposal along the workflow, refusing what the workflow does not allow."""
    current = proposal.status
    if to not in TRANSITIONS.get(current, set()):
        raise TransitionError(
            _("不能从“%(current)s”变为“%(target)s”。")
            % {"current": Status(current).label, "target": Status(to).label},
            code="transition",
        )
    proposal.status = to
    proposal.save(update_fields=["status", "updated_at"])
    if proposal.is_public or _moves_in_or_out(proposal, current, to):
        _public_change([proposal.pk])
    return proposal


def _moves_in_or_out(proposal: Proposal, current: str, to: str) -> bool:
    """Whether a move changes what 办复率 counts: a proposal with a lead department enters
    or leaves the assigned ones (replied → assigned, 退回重办, does not)."""
    return proposal.lead_department_id is not None and (current in ASSIGNED_OR_LATER) != (
        to in ASSIGNED_OR_LATER
    )


@transaction.atomic
def transition_all(*, proposals: Sequence[Proposal], to: str) -> list[Proposal]:
    """``transition`` for many proposals at once (closing a session's replied proposals):
    every move allowed, or none made; one write with history, one version bump."""
    for proposal in proposals:
        if to not in TRANSITIONS.get(proposal.status, set()):
            raise TransitionError(
                _("%(proposal)s：不能从“%(current)s”变为“%(target)s”。")
                % {
                    "proposal": proposal.number_label,
                    "current": Status(proposal.status).label,
                    "target": Status(to).label,
                },
                code="transition",
            )
    now = timezone.now()
    counted = [
        proposal.pk
        for proposal in proposals
        if proposal.is_public or _moves_in_or_out(proposal, proposal.status, to)
    ]
    for proposal in proposals:
        proposal.status = to
        proposal.updated_at = now
    if proposals:
        Proposal.objects.filter(pk__in=[proposal.pk for proposal in proposals]).update(
            status=to, updated_at=now
        )
        Proposal.history.bulk_history_create(proposals, update=True, batch_size=500)
    if counted:
        _public_change(counted)
    return list(proposals)


# Where a proposal has come this far, its 交办 is behind it.
ASSIGNED_OR_LATER = {Status.ASSIGNED, Status.REPLIED, Status.CLOSED}


@transaction.atomic
def record_assignments(assignments: Mapping[int, datetime.date]) -> list[Proposal]:
    """The 交办 dates of proposals that came in with their replies (a reply letter names no
    assignment date, so an imported proposal has none): ``assigned_on`` and the reply due
    date counted from it, as ``assign`` sets them (proposal id → date).

    Only a date not yet recorded, on a proposal already assigned, replied or closed, and
    not in the future: a recorded reply due date moves only by an approved extension, and
    a proposal still waiting for its assignment is assigned with ``assign``. All or none.
    """
    today = timezone.localdate()
    proposals = list(
        Proposal.objects.select_for_update()
        .defer("search_vector")
        .filter(pk__in=list(assignments))
        .order_by("pk")
    )
    if len(proposals) != len(assignments):
        raise ValidationError(_("有的提案不存在。"), code="assignment")
    now = timezone.now()
    for proposal in proposals:
        day = assignments[proposal.pk]
        if proposal.assigned_on is not None:
            raise ValidationError(
                _("%(proposal)s 已有交办日期（%(day)s）：答复期限只能通过延期申请改变。")
                % {"proposal": proposal.number_label, "day": proposal.assigned_on.isoformat()},
                code="assigned",
            )
        if proposal.status not in ASSIGNED_OR_LATER:
            raise ValidationError(
                _("%(proposal)s 尚未交办：请用交办操作指定承办单位。")
                % {"proposal": proposal.number_label},
                code="not_assigned",
            )
        if day > today:
            raise ValidationError(_("交办日期不能晚于今天。"), code="future")
        proposal.assigned_on = day
        proposal.reply_due = add_months(day, settings.REPLY_DUE_MONTHS)
        proposal.updated_at = now
    update_rows(proposals, ["assigned_on", "reply_due", "updated_at"])
    Proposal.history.bulk_history_create(proposals, update=True, batch_size=500)
    counted = [
        proposal.pk
        for proposal in proposals
        if proposal.is_public or proposal.lead_department_id is not None
    ]
    if counted:
        # The on-time rate counts against the reply due dates.
        _public_change(counted)
    return proposals


@transaction.atomic
def assign(
    *,
    proposal: Proposal,
    lead: Department,
    co_departments: list[Department] | tuple = (),
    assigned_on: datetime.date | None = None,
) -> Proposal:
    """交办: the lead and co-handling departments; the reply is due months later."""
    assigned_on = assigned_on or timezone.localdate()
    before = _cell(proposal)
    transition(proposal=proposal, to=Status.ASSIGNED)
    proposal.lead_department = lead
    proposal.assigned_on = assigned_on
    proposal.reply_due = add_months(assigned_on, settings.REPLY_DUE_MONTHS)
    proposal.save(update_fields=["lead_department", "assigned_on", "reply_due", "updated_at"])
    proposal.co_departments.set(co_departments)
    # Now counted in its lead department's 办复率 (and no longer in another's).
    _public_change([proposal.pk], before={before} if before else frozenset())
    return proposal


def return_deadline(proposal: Proposal) -> datetime.date | None:
    if proposal.assigned_on is None:
        return None
    return add_working_days(proposal.assigned_on, settings.RETURN_WORKING_DAYS)


@transaction.atomic
def return_misassigned(*, proposal: Proposal, today: datetime.date | None = None) -> Proposal:
    """A department hands back a proposal that is not theirs, within the working-day limit."""
    today = today or timezone.localdate()
    deadline = return_deadline(proposal)
    if proposal.status != Status.ASSIGNED or deadline is None:
        raise TransitionError(_("只有已交办的提案可以退回。"), code="transition")
    if today > deadline:
        raise TransitionError(
            _("交办后 %(days)d 个工作日内（%(deadline)s 前）才能退回。")
            % {"days": settings.RETURN_WORKING_DAYS, "deadline": deadline.isoformat()},
            code="too_late",
        )
    before = _cell(proposal)
    transition(proposal=proposal, to=Status.ACCEPTED)
    proposal.lead_department = None
    proposal.assigned_on = None
    proposal.reply_due = None
    proposal.save(update_fields=["lead_department", "assigned_on", "reply_due", "updated_at"])
    proposal.co_departments.clear()
    # No longer counted in the department's 办复率.
    _public_change([proposal.pk], before={before} if before else frozenset())
    return proposal


def check_extension(*, proposal: Proposal, new_due: datetime.date | None) -> None:
    """An extension moves a reply due date later, never earlier."""
    if proposal.reply_due is None:
        raise ValidationError(
            _("这件提案还没有答复期限（尚未交办），不能申请延期。"), code="extension"
        )
    if new_due is None or new_due <= proposal.reply_due:
        raise ValidationError(
            _("延期后的期限必须晚于现在的答复期限（%(due)s）。")
            % {"due": proposal.reply_due.isoformat()},
            code="extension",
        )


def request_extension(
    *, proposal: Proposal, new_due: datetime.date, reason: str, user: AbstractBaseUser | None
) -> DeadlineExtension:
    check_extension(proposal=proposal, new_due=new_due)
    extension = DeadlineExtension(
        proposal=proposal, new_due=new_due, reason=reason, requested_by=user
    )
    extension.full_clean()
    extension.save()
    return extension


@transaction.atomic
def approve_extension(*, extension: DeadlineExtension, user: AbstractBaseUser) -> DeadlineExtension:
    if extension.is_approved:
        return extension
    extension.approved_by = user
    extension.approved_at = timezone.now()
    extension.save(update_fields=["approved_by", "approved_at"])
    proposal = extension.proposal
    proposal.reply_due = max(extension.new_due, proposal.reply_due or extension.new_due)
    proposal.save(update_fields=["reply_due", "updated_at"])
    if proposal.is_public or proposal.lead_department_id is not None:
        _public_change([proposal.pk])  # the on-time rate counts against the approved date
    return extension


# ---------------------------------------------------------------------------
# A member's own settings on /me/
# ---------------------------------------------------------------------------


# Pages of /me/ opened within this long of a visit's start are that visit: reloading it or
# coming back from a proposal's page keeps the marks of what was new when it began.
VISIT_GAP = datetime.timedelta(minutes=30)


def record_member_visit(
    *, proposer: Proposer, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """The member opened /me/: start a new visit unless one started within ``VISIT_GAP``
    (one write, none on a reload). Returns when the visit before this one began — what is
    newer is new to the member — or None on their first visit."""
    now = now or timezone.now()
    if proposer.last_seen_at is None or now - proposer.last_seen_at >= VISIT_GAP:
        Proposer.objects.filter(pk=proposer.pk).update(
            seen_before=F("last_seen_at"), last_seen_at=now
        )
        proposer.seen_before, proposer.last_seen_at = proposer.last_seen_at, now
    return proposer.seen_before


def set_update_notifications(*, user: AbstractBaseUser, enabled: bool) -> bool:
    """Turn the member's e-mail on every progress update on or off; False when the user
    is no proposer (nothing to notify them of)."""
    return bool(Proposer.objects.filter(user_id=user.pk).update(notify_updates=enabled))
