"""兑现率 (were promises kept?) on the dashboard and the department pages: tables, SVG
bars and links to the commitment list filtered to the rows behind each number."""

import functools
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from core import spreadsheet
from portal.views.common import stacked_bar
from replies import kept, selectors

# Bar colours, in ``kept.KEPT_CHOICES`` order; every number is in the table beside it too.
KEPT_COLOURS = {
    kept.ON_TIME: "#1a7f37",
    kept.EXTENDED: "#4ac26b",
    kept.LATE: "#bf8700",
    kept.PARTIAL: "#d4a72c",
    kept.OPEN: "#8c959f",
    kept.NOT_FULFILLED: "#cf222e",
}
# Departments drawn and listed on the page (the most commitments past their deadline
# first); the CSV holds every one.
TOP_DEPARTMENTS = 30


def _link(base: dict, **more) -> str:
    query = {key: value for key, value in {**base, **more}.items() if value not in (None, "")}
    return f"{_commitments_url()}?{urlencode(query)}"


@functools.cache
def _commitments_url() -> str:
    # Reversed once: a dashboard draws several hundred of these links.
    return reverse("portal:commitments")


def _decorate(row: kept.KeptRow, base: dict | None) -> kept.KeptRow:
    """Attach each number's link (none when ``base`` is None: a scope the list cannot be
    filtered to, such as sessions without a year) and the bar's segments (the share of
    each class of the row's commitments past their deadline: bars compare rates, the table
    gives counts)."""
    row.total_link = _link(base, kept=kept.PASSED) if base is not None else ""
    row.links = [
        (value, label, row.counts[value], _link(base, kept=value) if base is not None else "")
        for value, label in kept.KEPT_CHOICES
    ]
    segments = stacked_bar(row.counts, row.total, kept.KEPT_CHOICES, KEPT_COLOURS)
    row.segments = segments
    return row


def kept_context(
    *, user, committee=None, session=None, department=None, all_rows: bool = False
) -> dict:
    """The 兑现率 section for a scope: totals, by department (when this user may see
    them), by committee (no committee chosen) and by year. One query: the roll-ups' rows,
    with the names of the departments and committees (``selectors.kept_figures``)."""
    show_departments = kept.may_see_department_figures(user)
    hidden = {
        "kept_hidden": True,
        "kept_departments_shown": False,
        "kept_choices": kept.KEPT_CHOICES,
    }
    if department is not None and not show_departments:
        return hidden  # a department's own figures are per-department figures
    base = {}
    if session is not None:
        committee = session.committee
        base["session"] = session.pk
    if committee is not None:
        base["committee"] = committee.slug
    if department is not None:
        base["department"] = department.pk
    summary = selectors.kept_figures(
        committee=committee,
        session=session,
        department=department,
        by_department=show_departments,
    )

    by_department = []
    department_count = 0
    if show_departments and department is None:
        rows = sorted(summary["by_department"].values(), key=lambda row: -row.total)
        department_count = len(rows)
        if not all_rows:
            rows = rows[:TOP_DEPARTMENTS]
        names = summary["department_names"]
        for row in rows:
            row.label = names.get(row.key, "")
            by_department.append(_decorate(row, {**base, "department": row.key}))
        by_department.sort(key=lambda row: (-row.total, row.label))

    by_committee = []
    committee_count = 0
    if committee is None:
        rows = sorted(summary["by_committee"].values(), key=lambda row: -row.total)
        committee_count = len(rows)
        if not all_rows:
            rows = rows[:TOP_DEPARTMENTS]
        found = summary["committee_names"]
        for row in rows:
            slug, row.label = found.get(row.key, ("", ""))
            by_committee.append(_decorate(row, {**base, "committee": slug}))
        by_committee.sort(key=lambda row: (-row.total, row.label))

    by_year = [
        _decorate(row, {**base, "year": row.key} if row.key is not None else None)
        for row in sorted(summary["by_year"].values(), key=lambda row: row.key or 0, reverse=True)
    ]
    scope = {"committee": committee, "session": session, "department": department}
    return {
        "kept_hidden": False,
        # The dashboard's own scope parameters, for the CSV of the same figures.
        "kept_csv_query": urlencode({k: v.pk for k, v in scope.items() if v is not None}),
        "kept_total": _decorate(summary["total"], base),
        "kept_by_department": by_department,
        "kept_department_count": department_count,
        "kept_departments_shown": show_departments,
        "kept_by_committee": by_committee,
        "kept_committee_count": committee_count,
        "kept_by_year": by_year,
        "kept_choices": kept.KEPT_CHOICES,
        "kept_legend": [(label, KEPT_COLOURS[value]) for value, label in kept.KEPT_CHOICES],
    }


def kept_csv(request, *, committee=None, session=None, department=None) -> HttpResponse:
    """Every (committee, year, department) cell of the scope, one row each — or by
    (committee, year) when per-department figures are not public and the visitor is not
    staff."""
    by_department = kept.may_see_department_figures(request.user)
    if department is not None and not by_department:
        department = None  # per-department figures are the office's to publish
    table = selectors.kept_table(
        committee=committee, session=session, department=department, by_department=by_department
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="dashboard-kept.csv"'
    response.write("\ufeff")
    writer = spreadsheet.writer(response)
    writer.writerow(
        [_("委员会"), _("年度")]
        + ([_("承办单位")] if by_department else [])
        + [_("期限已过")]
        + [str(label) for _value, label in kept.KEPT_CHOICES]
        + [_("兑现率（%）")]
    )
    for committee_name, year, department_name, row in table:
        writer.writerow(
            [committee_name, year or ""]
            + ([department_name] if by_department else [])
            + [row.total]
            + [row.counts[value] for value in kept.KEPT_VALUES]
            + ["" if row.kept_rate is None else row.kept_rate]
        )
    return response
