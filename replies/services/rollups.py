"""The roll-ups of the public data (``replies.models.Tally``), kept current by the services
in the write's own transaction.

A *cell* is a (session, department) pair: the public commitments a department owns in a
session's proposals, and the published replies it wrote to them. A service that changed
public data ends with ``public_change`` (``refresh`` of the cells its rows count in, found
by ``cells_of``, then ``bump_public_version``); ``refresh`` recounts those cells from the base tables and
adds the difference to the five coarser levels (by session, by committee and department,
by committee, by department, overall). Readers then read a handful of rows — flat
however many commitments there are.

Every writer of the tallies holds the lock of ``TallyState``'s row until it commits, and
recounts after taking it (each statement sees what committed before), so concurrent
writers leave the right counts. ``advance`` (a daily job) moves the overdue day on;
``rebuild`` recounts everything (after a migration, or to repair by hand:
``manage.py refresh_rollups``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from core.versioning import bump_public_version
from proposals.models import Proposal, Session
from replies import kept
from replies.models import (
    Classification,
    CommitmentItem,
    CommitmentStatus,
    Reply,
    Satisfaction,
    Tally,
    TallyState,
)

Cell = tuple[int, int]  # (session id, department id)
Key = tuple[int, int, int]  # (committee id, session id, department id); 0 is "all"

STATUS_COLUMNS = {status: status for status in CommitmentStatus.values}
OPEN_STATUSES = [
    status for status in CommitmentStatus.values if status != CommitmentStatus.FULFILLED
]
OVERDUE_COLUMNS = {status: f"overdue_{status}" for status in OPEN_STATUSES}
CLASS_COLUMNS = {value: f"class_{value.lower()}" for value in Classification.values}
COUNTED = [
    "commitments",
    *STATUS_COLUMNS.values(),
    "overdue",
    *OVERDUE_COLUMNS.values(),
    "progress_sum",
    "public_replies",
    "answers",
    "due_known",
    "on_time",
    "rated",
    "satisfied",
    "classified",
    *CLASS_COLUMNS.values(),
    "assigned",
    "replied",
    "due_passed",
    "replied_on_time",
    *kept.TALLIED.values(),
]
# The handling statuses of a proposal whose 交办 is behind it (proposals.services'
# ASSIGNED_OR_LATER): what 办复率 counts, in its lead department's cell.
ASSIGNED_STATUSES = [
    Proposal.Status.ASSIGNED,
    Proposal.Status.REPLIED,
    Proposal.Status.CLOSED,
]


# --- Which cells a change touches ----------------------------------------------------


def cells_of(
    *,
    replies: Iterable[int] = (),
    commitments: Iterable[int] = (),
    proposals: Iterable[int] = (),
) -> set[Cell]:
    """The cells these rows count in now: a reply's (its department's) and its
    commitments' (their owners'); a proposal's replies' and their commitments'; and the
    proposal's own (its lead department's: 办复率) for both."""
    replies, commitments, proposals = set(replies), set(commitments), set(proposals)
    cells: set[Cell] = set()
    if replies or proposals:
        led = Q(pk__in=proposals) | Q(
            pk__in=Reply.objects.filter(pk__in=replies).values("proposal_id")
        )
        cells |= set(
            Proposal.objects.filter(led, lead_department__isnull=False).values_list(
                "session_id", "lead_department_id"
            )
        )
        scope = Q(pk__in=replies) | Q(proposal_id__in=proposals)
        cells |= set(
            Reply.objects.filter(scope).values_list("proposal__session_id", "department_id")
        )
        owned = Q(reply_id__in=replies) | Q(reply__proposal_id__in=proposals)
        cells |= set(
            CommitmentItem.objects.filter(owned).values_list(
                "reply__proposal__session_id", "owner_id"
            )
        )
    if commitments:
        cells |= set(
            CommitmentItem.objects.filter(pk__in=commitments).values_list(
                "reply__proposal__session_id", "owner_id"
            )
        )
    return cells


# --- Counting --------------------------------------------------------------------------


def _state(today: datetime.date | None = None) -> TallyState:
    """The state row, locked until the transaction ends (made on first use)."""
    state = TallyState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        state, _created = TallyState.objects.get_or_create(
            pk=1, defaults={"as_of": today or timezone.localdate()}
        )
    return state


def _commitment_counts(commitments, as_of: datetime.date) -> dict:
    return {
        "commitments": Count("pk"),
        **{
            column: Count("pk", filter=Q(status=status))
            for status, column in STATUS_COLUMNS.items()
        },
        "overdue": Count("pk", filter=Q(due_on__lt=as_of) & ~Q(status=CommitmentStatus.FULFILLED)),
        **{
            column: Count("pk", filter=Q(due_on__lt=as_of, status=status))
            for status, column in OVERDUE_COLUMNS.items()
        },
        "progress_sum": Sum("progress"),
    }


ANSWER_COUNTS = {
    "answers": Count("pk"),
    "due_known": Count(
        "pk", filter=Q(proposal__reply_due__isnull=False, letter_date__isnull=False)
    ),
    "on_time": Count("pk", filter=Q(letter_date__lte=F("proposal__reply_due"))),
    "rated": Count("pk", filter=~Q(satisfaction="")),
    "satisfied": Count(
        "pk", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
    ),
    "classified": Count("pk", filter=~Q(classification="")),
    **{
        column: Count("pk", filter=Q(classification=value))
        for value, column in CLASS_COLUMNS.items()
    },
}


def current_answers():
    """The published replies the rates count: answers (not a co-handler's opinion) that no
    later letter superseded. NOT EXISTS, not a LEFT JOIN … IS NULL: PostgreSQL estimates the
    anti-join well (the outer-join form ran 50 s at 200,000 replies)."""
    return (
        Reply.objects.published()
        .filter(role=Reply.Role.ANSWER)
        .exclude(Exists(Reply.objects.filter(supersedes=OuterRef("pk"))))
    )


def assignment_counts(as_of: datetime.date) -> dict:
    """办复率 and 按时办复率 of assigned proposals, as of a day: a proposal is replied when
    it has a published answer (superseded or not: it was answered), on time when one such
    answer is dated on or before its reply due date (approved extensions included) — counted
    only once that date has passed, as the rate's denominator is."""
    answers = Reply.objects.published().filter(role=Reply.Role.ANSWER, proposal=OuterRef("pk"))
    due_passed = Q(reply_due__lt=as_of)
    return {
        "assigned": Count("pk"),
        "replied": Count("pk", filter=Q(Exists(answers))),
        "due_passed": Count("pk", filter=due_passed),
        "replied_on_time": Count(
            "pk",
            filter=due_passed & Q(Exists(answers.filter(letter_date__lte=OuterRef("reply_due")))),
        ),
    }


def assigned_proposals():
    return Proposal.objects.filter(status__in=ASSIGNED_STATUSES, lead_department__isnull=False)


def count_cells(cells: set[Cell] | None, as_of: datetime.date) -> dict[Cell, dict[str, int]]:
    """The counts of these cells (of every cell when None) from the base tables."""
    commitments = CommitmentItem.objects.public()
    replies = Reply.objects.published()
    answers = current_answers()
    assigned = assigned_proposals()
    if cells is not None:
        if not cells:
            return {}
        sessions = {session for session, _department in cells}
        departments = {department for _session, department in cells}
        commitments = commitments.filter(
            reply__proposal__session_id__in=sessions, owner_id__in=departments
        )
        replies = replies.filter(proposal__session_id__in=sessions, department_id__in=departments)
        answers = answers.filter(proposal__session_id__in=sessions, department_id__in=departments)
        assigned = assigned.filter(session_id__in=sessions, lead_department_id__in=departments)
    counts: dict[Cell, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    for row in (
        commitments.values("reply__proposal__session_id", "owner_id")
        .annotate(**_commitment_counts(commitments, as_of))
        .order_by()
    ):
        cell = (row.pop("reply__proposal__session_id"), row.pop("owner_id"))
        counts[cell].update({name: value or 0 for name, value in row.items()})
    # 兑现率 of the fulfilled ones past their due date, by class: a query of its own, so
    # that the fulfilment date's sub-query runs once per such row (``kept.kept_class``).
    fulfilled = commitments.filter(status=CommitmentStatus.FULFILLED)
    for row in (
        kept.with_kept_class(fulfilled, as_of)
        .values("reply__proposal__session_id", "owner_id", "kept")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        cell = (row["reply__proposal__session_id"], row["owner_id"])
        counts[cell][kept.TALLIED[row["kept"]]] = row["n"]
    for row in (
        replies.values("proposal__session_id", "department_id")
        .annotate(public_replies=Count("pk"))
        .order_by()
    ):
        counts[(row["proposal__session_id"], row["department_id"])]["public_replies"] = row[
            "public_replies"
        ]
    for row in (
        answers.values("proposal__session_id", "department_id").annotate(**ANSWER_COUNTS).order_by()
    ):
        cell = (row.pop("proposal__session_id"), row.pop("department_id"))
        counts[cell].update(row)
    for row in (
        assigned.values("session_id", "lead_department_id")
        .annotate(**assignment_counts(as_of))
        .order_by()
    ):
        cell = (row.pop("session_id"), row.pop("lead_department_id"))
        counts[cell].update(row)
    if cells is not None:
        for cell in cells:
            counts[cell]  # a cell that emptied counts zero  # noqa: B018
        return {cell: values for cell, values in counts.items() if cell in cells}
    return dict(counts)


def levels(committee: int, session: int, department: int) -> list[Key]:
    """The six tally rows a (committee, session, department) cell counts in."""
    return [
        (committee, session, department),
        (committee, session, 0),
        (committee, 0, department),
        (committee, 0, 0),
        (0, 0, department),
        (0, 0, 0),
    ]


def _committees(sessions: Iterable[int]) -> dict[int, int]:
    return dict(Session.objects.filter(pk__in=set(sessions)).values_list("pk", "committee_id"))


# --- Writing ---------------------------------------------------------------------------


def refresh(cells: Iterable[Cell]) -> None:
    """Recount these cells and carry the difference to every level: in the caller's
    transaction, before its ``bump_public_version``."""
    cells = {cell for cell in cells if None not in cell}
    if not cells:
        return
    with transaction.atomic():
        state = _state()
        _apply(count_cells(cells, state.as_of))


def public_change(
    *,
    replies: Iterable[int] = (),
    commitments: Iterable[int] = (),
    proposals: Iterable[int] = (),
    before: set[Cell] = frozenset(),
) -> None:
    """What every service does last after changing public data: recount the cells these
    rows count in (and ``before``: the cells they counted in before the change, when they may
    have moved) after moving the page version of every proposal whose page shows these rows,
    then bump the public-data version (the last write)."""
    replies, commitments, proposals = set(replies), set(commitments), set(proposals)
    # The proposals' rows before the tallies' lock, as every writer takes them (the
    # importer and the publication services update proposals first): never the reverse,
    # or two writers wait on each other.
    touch_pages(replies=replies, commitments=commitments, proposals=proposals)
    refresh(set(before) | cells_of(replies=replies, commitments=commitments))
    bump_public_version(scoped=True)


def touch_pages(
    *, replies: Iterable[int] = (), commitments: Iterable[int] = (), proposals: Iterable[int] = ()
) -> None:
    """Move the page version of the proposals these replies, commitments and proposals
    are shown on (``Proposal.page_version``)."""
    replies, commitments, proposals = set(replies), set(commitments), set(proposals)
    if not (replies or commitments or proposals):
        return
    shown = Q(pk__in=proposals)
    if replies:
        shown |= Q(pk__in=Reply.objects.filter(pk__in=replies).values("proposal_id"))
    if commitments:
        shown |= Q(
            pk__in=CommitmentItem.objects.filter(pk__in=commitments).values("reply__proposal_id")
        )
    Proposal.objects.filter(shown).touch_pages()


def _apply(counts: dict[Cell, dict[str, int]]) -> None:
    committees = _committees(session for session, _department in counts)
    base = {
        (committees.get(session, 0), session, department): values
        for (session, department), values in counts.items()
    }
    rows = _rows({level for key in base for level in levels(*key)})  # one read for all
    deltas: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    for key, values in base.items():
        before = rows.get(key)
        change = {name: values[name] - (getattr(before, name) if before else 0) for name in COUNTED}
        if not any(change.values()):
            continue
        for level in levels(*key):
            for name, value in change.items():
                deltas[level][name] += value
    changed, new = [], []
    for key, change in deltas.items():
        row = rows.get(key)
        if row is None:
            row = Tally(committee_id=key[0], session_id=key[1], department_id=key[2])
            new.append(row)
        else:
            changed.append(row)
        for name, value in change.items():
            setattr(row, name, getattr(row, name) + value)
    if changed:
        _write(changed)
    if new:
        Tally.objects.bulk_create(new, batch_size=500)


def _write(rows: list[Tally]) -> None:
    """Store the rows' counts: one UPDATE … FROM unnest(…) on PostgreSQL (``bulk_update``
    builds a CASE of every row for every column: seconds for a few hundred rows)."""
    if connection.vendor != "postgresql":
        Tally.objects.bulk_update(rows, COUNTED, batch_size=500)
        return
    table = Tally._meta.db_table
    assignments = ", ".join(f"{name} = v.{name}" for name in COUNTED)
    arrays = ", ".join(["%s::bigint[]"] * (len(COUNTED) + 1))
    columns = ", ".join(["id", *COUNTED])
    params = [[row.pk for row in rows]] + [[getattr(row, name) for row in rows] for name in COUNTED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments}"  # noqa: S608  (names are ours)
            f" FROM unnest({arrays}) AS v({columns}) WHERE t.id = v.id",
            params,
        )


def _rows(keys: Iterable[Key]) -> dict[Key, Tally]:
    keys = set(keys)
    if not keys:
        return {}
    committees = {key[0] for key in keys}
    sessions = {key[1] for key in keys}
    departments = {key[2] for key in keys}
    rows = Tally.objects.filter(
        committee_id__in=committees, session_id__in=sessions, department_id__in=departments
    )
    found = {(row.committee_id, row.session_id, row.department_id): row for row in rows}
    return {key: row for key, row in found.items() if key in keys}


@transaction.atomic
def advance(today: datetime.date | None = None) -> int:
    """Move the overdue day on to ``today`` (the nightly job): only the cells with
    commitments (overdue, or counted in 兑现率), or proposals' reply due dates, that fell
    due in between are recounted. Returns how many."""
    today = today or timezone.localdate()
    state = _state(today)
    if state.as_of >= today:
        return 0
    cells = set(
        CommitmentItem.objects.public()
        .filter(due_on__gte=state.as_of, due_on__lt=today)
        .values_list("reply__proposal__session_id", "owner_id")
        .distinct()
    )
    # ... and the proposals whose reply due date passed in between (按时办复率).
    cells |= set(
        assigned_proposals()
        .filter(reply_due__gte=state.as_of, reply_due__lt=today)
        .values_list("session_id", "lead_department_id")
        .distinct()
    )
    state.as_of = today
    state.save(update_fields=["as_of"])
    _apply(count_cells(cells, today))
    return len(cells)


@transaction.atomic
def rebuild(today: datetime.date | None = None) -> int:
    """Recount everything from the base tables. Returns the number of rows written."""
    today = today or timezone.localdate()
    state = _state(today)
    state.as_of = today
    state.rebuild_needed = False
    state.save(update_fields=["as_of", "rebuild_needed"])
    Tally.objects.all().delete()
    counts = count_cells(None, today)
    committees = _committees(session for session, _department in counts)
    totals: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    for (session, department), values in counts.items():
        for level in levels(committees.get(session, 0), session, department):
            row = totals[level]
            for name in COUNTED:
                row[name] += values[name]
    Tally.objects.bulk_create(
        (
            Tally(committee_id=key[0], session_id=key[1], department_id=key[2], **values)
            for key, values in totals.items()
        ),
        batch_size=2000,
    )
    return len(totals)


# --- Reading ---------------------------------------------------------------------------


def as_of() -> datetime.date:
    state = TallyState.objects.filter(pk=1).values_list("as_of", flat=True).first()
    return state or timezone.localdate()


def _days_between(
    today: datetime.date, since: datetime.date | None
) -> tuple[datetime.date, datetime.date, int] | None:
    """The due dates a reader's correction covers, [low, high), and its sign (+1 when
    today is after the tallies' day ``since``, -1 before it); None on the tallies' day."""
    since = since or as_of()
    if since == today:
        return None
    return (since, today, 1) if since < today else (today, since, -1)


def overdue_correction(
    today: datetime.date,
    *,
    since: datetime.date | None = None,
    scope: Q | None = None,
    keys: tuple[str, ...] = (),
) -> dict[tuple, dict[str, int]]:
    """What to add to the tallies' overdue counts for ``today``: the open public
    commitments that fell due between the tallies' day and today (taken away when today
    is before it), by ``keys`` (field paths) and status. Nothing, once the nightly job has
    run: an index range of a day's due dates otherwise."""
    between = _days_between(today, since)
    if between is None:
        return {}
    low, high, sign = between
    rows = CommitmentItem.objects.public().open().filter(due_on__gte=low, due_on__lt=high)
    if scope is not None:
        rows = rows.filter(scope)
    found: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for *key, status, count in (
        rows.values_list(*keys, "status").annotate(count=Count("pk")).order_by()
    ):
        found[tuple(key)][status] += sign * count
    return found


def kept_correction(
    today: datetime.date,
    *,
    since: datetime.date | None = None,
    scope: Q | None = None,
    keys: tuple[str, ...],
) -> dict[tuple, dict[str, int]]:
    """What to add to the tallies' 兑现率 classes for ``today`` (``kept_counts``): the
    public commitments that fell due between the tallies' day and today, by class (taken
    away when today is before it), by ``keys`` (field paths of a commitment). Nothing once
    the nightly job has run: a day's worth of due dates otherwise."""
    between = _days_between(today, since)
    if between is None:
        return {}
    low, high, sign = between
    rows = CommitmentItem.objects.public().filter(due_on__gte=low)
    if scope is not None:
        rows = rows.filter(scope)
    found: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        kept.with_kept_class(rows, high).values(*keys, "kept").annotate(n=Count("pk")).order_by()
    ):
        found[tuple(row[name] for name in keys)][row["kept"]] += sign * row["n"]
    return found


def kept_counts(row: Tally | None) -> dict[str, int]:
    """A tally row's 兑现率 classes (``kept.KEPT_VALUES``), as of its day."""
    if row is None:
        return dict.fromkeys(kept.KEPT_VALUES, 0)
    return {
        kept.ON_TIME: row.kept_on_time,
        kept.EXTENDED: row.kept_extended,
        kept.LATE: row.kept_late,
        kept.PARTIAL: row.overdue_partial,
        kept.OPEN: row.overdue_not_started + row.overdue_in_progress,
        kept.NOT_FULFILLED: row.overdue_not_fulfilled,
    }


def assignment_correction(
    today: datetime.date,
    *,
    since: datetime.date | None = None,
    scope: Q | None = None,
    keys: tuple[str, ...],
) -> dict[tuple, dict[str, int]]:
    """What to add to the tallies' ``due_passed`` and ``replied_on_time`` for ``today``:
    the assigned proposals whose reply due date passed between the tallies' day and today
    (taken away when today is before it), by ``keys`` (field paths of a proposal). Nothing
    once the nightly job has run."""
    between = _days_between(today, since)
    if between is None:
        return {}
    low, high, sign = between
    rows = assigned_proposals().filter(reply_due__gte=low, reply_due__lt=high)
    if scope is not None:
        rows = rows.filter(scope)
    counts = assignment_counts(high)
    found: dict[tuple, dict[str, int]] = {}
    for row in (
        rows.values(*keys)
        .annotate(due_passed=counts["due_passed"], replied_on_time=counts["replied_on_time"])
        .order_by()
    ):
        key = tuple(row[name] for name in keys)
        found[key] = {
            "due_passed": sign * row["due_passed"],
            "replied_on_time": sign * row["replied_on_time"],
        }
    return found


def status_counts(row: Tally | None, correction: dict[str, int] | None = None) -> dict[str, int]:
    """A tally row as ``selectors.status_counts`` words it: commitments per status, the
    overdue ones and the total."""
    correction = correction or {}
    counts = {
        status: getattr(row, column, 0) if row else 0 for status, column in STATUS_COLUMNS.items()
    }
    counts["overdue"] = (row.overdue if row else 0) + sum(correction.values())
    counts["total"] = row.commitments if row else 0
    return counts


def overdue_by_status(
    row: Tally | None, correction: dict[str, int] | None = None
) -> dict[str, int]:
    """The overdue commitments of a tally row by status (fulfilled: none)."""
    correction = correction or {}
    counts = dict.fromkeys(STATUS_COLUMNS, 0)
    for status, column in OVERDUE_COLUMNS.items():
        counts[status] = (getattr(row, column) if row else 0) + correction.get(status, 0)
    return counts
