"""Were promises kept? (兑现率): the public commitments whose deadline has passed, each in
exactly one class — one SQL expression (``kept_class``) that both the counts and the
commitment list's ``kept`` filter use, so that the list behind a number holds exactly the
rows counted.

The classes, for a public commitment whose current due date (``due_on``) is before today:

- ``on_time``: fulfilled no later than the due date, and the due date never moved;
- ``extended``: fulfilled no later than a due date moved by an approved deadline change
  (``promised_on``, the date first promised in public, differs from ``due_on``) — a moved
  deadline never counts as plain "on time", even when the work was done before the
  original date;
- ``late``: fulfilled after the (current) due date, or fulfilled with no date known;
- ``partial``: status 部分完成;
- ``open``: still 未开始 or 进行中;
- ``not_fulfilled``: status 未完成.

When a commitment became fulfilled: the first date of its latest run of 已完成 updates
(the earliest ``CommitmentUpdate`` with status fulfilled that no later update of another
status follows). A commitment the letter itself reported done (the parser's status, no
update) was fulfilled by the letter's date.

Pages read the figures from the roll-ups (``replies.models.Tally``: the fulfilled classes
in their own columns, the others are the overdue columns by status), kept current by the
services in each write's transaction and moved on nightly, with the day's correction
(``rollups.kept_correction``) until then. ``kept_summary`` counts the same classes from the
rows, by one grouped aggregate (the Case below, computed once per row; the correlated
sub-query runs for fulfilled rows only): the reference the tallies are tested against.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.caching import current_version
from core.roles import Role, role_of
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate

PASSED = "passed"  # every class: the list behind a total
ON_TIME = "on_time"
EXTENDED = "extended"
LATE = "late"
PARTIAL = "partial"
OPEN = "open"
NOT_FULFILLED = "not_fulfilled"

# In the order the bars stack them and the tables list them.
KEPT_CHOICES = [
    (ON_TIME, _("按期完成")),
    (EXTENDED, _("经批准延期后按期完成")),
    (LATE, _("逾期完成")),
    (PARTIAL, _("部分完成")),
    (OPEN, _("尚未完成")),
    (NOT_FULFILLED, _("未完成")),
]
KEPT_VALUES = [value for value, _label in KEPT_CHOICES]
# The commitment list's choices: one class, or all past their deadline.
FILTER_CHOICES = [(PASSED, _("期限已过（全部）")), *KEPT_CHOICES]

# A fulfilled commitment with no date at all sorts after every due date: late.
_NO_DATE = datetime.date(9999, 12, 31)


def fulfilled_on() -> Coalesce:
    """The date a (fulfilled) commitment became fulfilled, as an SQL expression on
    ``CommitmentItem``: its latest run of 已完成 updates' first date, else its letter's date."""
    later_other = CommitmentUpdate.objects.filter(
        commitment=OuterRef("commitment"), date__gt=OuterRef("date")
    ).exclude(status=CommitmentStatus.FULFILLED)
    first_of_run = (
        CommitmentUpdate.objects.filter(
            commitment=OuterRef("pk"), status=CommitmentStatus.FULFILLED
        )
        .exclude(Exists(later_other))
        .order_by("date")
        .values("date")[:1]
    )
    return Coalesce(
        Subquery(first_of_run, output_field=DateField()),
        F("reply__letter_date"),
        Value(_NO_DATE),
        output_field=DateField(),
    )


def kept_class() -> Case:
    """The class of a commitment whose deadline has passed (see the module docstring), as
    an SQL expression; meaningful on ``deadline_passed`` rows only."""
    moved = Q(promised_on__isnull=False) & ~Q(promised_on=F("due_on"))
    return Case(
        When(status=CommitmentStatus.PARTIAL, then=Value(PARTIAL)),
        When(status=CommitmentStatus.NOT_FULFILLED, then=Value(NOT_FULFILLED)),
        When(~Q(status=CommitmentStatus.FULFILLED), then=Value(OPEN)),
        # Fulfilled from here on.
        When(Q(kept_done_on__gt=F("due_on")), then=Value(LATE)),
        When(moved, then=Value(EXTENDED)),
        default=Value(ON_TIME),
        output_field=CharField(),
    )


# The classes the tallies count in columns of their own (``Tally.kept_*``).
TALLIED = {ON_TIME: "kept_on_time", EXTENDED: "kept_extended", LATE: "kept_late"}


def deadline_passed(today: datetime.date | None = None) -> Q:
    return Q(due_on__lt=today or timezone.localdate())


def with_kept_class(
    commitments: QuerySet[CommitmentItem], today: datetime.date | None = None
) -> QuerySet[CommitmentItem]:
    """``commitments`` whose deadline has passed, each annotated with ``kept`` (its
    class)."""
    return (
        commitments.filter(deadline_passed(today))
        .alias(kept_done_on=fulfilled_on())
        .annotate(kept=kept_class())
    )


def filter_kept(
    commitments: QuerySet[CommitmentItem], value: str, today: datetime.date | None = None
) -> QuerySet[CommitmentItem]:
    """The commitment list's ``kept`` filter: the rows ``kept_cells`` counts as ``value``
    (``PASSED``: all of them)."""
    rows = with_kept_class(commitments, today)
    return rows if value == PASSED else rows.filter(kept=value)


@dataclass
class KeptRow:
    """One row of the tables: counts per class, and the share kept on time."""

    key: Any
    label: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEPT_VALUES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def kept_rate(self) -> float | None:
        """On time, with or without an approved extension, of all whose deadline passed."""
        if not self.total:
            return None
        return round(100 * (self.counts[ON_TIME] + self.counts[EXTENDED]) / self.total, 1)

    @property
    def cells(self) -> list[tuple[str, str, int]]:
        return [(value, label, self.counts[value]) for value, label in KEPT_CHOICES]


# The grouping keys of the one aggregate query: committee, year, department — with the
# names a page shows (functionally dependent on the keys: no extra groups, no extra query).
_KEYS = {
    "committee": "reply__proposal__session__committee_id",
    "committee_slug": "reply__proposal__session__committee__slug",
    "committee_name": "reply__proposal__session__committee__name",
    "year": "reply__proposal__session__year",
    "department": "owner_id",
    "department_name": "owner__name",
}


def kept_cells(
    commitments: QuerySet[CommitmentItem], today: datetime.date | None = None
) -> list[dict[str, Any]]:
    """Counts per (committee, year, department, class) of ``commitments`` whose deadline
    has passed, with the committee's slug and name and the department's name: one grouped
    query, as many rows as non-empty cells."""
    rows = (
        with_kept_class(commitments, today)
        .values(*_KEYS.values(), "kept")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        {**{key: row[path] for key, path in _KEYS.items()}, "kept": row["kept"], "n": row["n"]}
        for row in rows
    ]


def roll_up(cells: list[dict[str, Any]], *keys: str) -> dict[Any, KeptRow]:
    """The cells summed by ``keys`` (one key: its value; several: a tuple; none: one row
    keyed ``()``)."""
    rows: dict[Any, KeptRow] = {}
    for cell in cells:
        key = tuple(cell[k] for k in keys)
        key = key[0] if len(keys) == 1 else key
        row = rows.get(key)
        if row is None:
            row = rows[key] = KeptRow(key=key)
        row.counts[cell["kept"]] += cell["n"]
    return rows


def kept_summary(
    commitments: QuerySet[CommitmentItem], today: datetime.date | None = None
) -> dict[str, Any]:
    """Totals, and rows by department, by committee and by year (unnamed; the caller names
    what it shows), from one query."""
    cells = kept_cells(commitments, today)
    total = roll_up(cells).get((), KeptRow(key=()))
    return {
        "total": total,
        "by_department": roll_up(cells, "department"),
        "by_committee": roll_up(cells, "committee"),
        "by_year": roll_up(cells, "year"),
        "cells": cells,
    }


def department_figures_public() -> bool:
    """Whether everyone sees 兑现率 per department: the proposal office's setting (admin,
    公开设置; on by default), read with the public-data version."""
    return current_version().department_figures_public


def may_see_department_figures(user) -> bool:
    """Per-department figures: for everyone while the setting is on; otherwise for the
    proposal office and department clerks only."""
    return department_figures_public() or role_of(user) in (Role.OFFICE, Role.CLERK)
