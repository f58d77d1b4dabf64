"""The oversight dashboard and its CSV downloads."""

from types import SimpleNamespace

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core import spreadsheet
from core.caching import public_page
from portal.views.common import BAR_WIDTH, pk_from_query, stacked_bar
from portal.views.kept import kept_context, kept_csv
from proposals.models import Committee, Department, Session, is_placeholder_name
from replies import selectors
from replies.models import CommitmentStatus

CLASS_LABELS = ["A", "B", "C", "D"]


def _committee(value: str, session: Session | None) -> Committee | None:
    """The committee a ``committee`` parameter names: by its slug, as the commitment list
    and the dashboard's own form write it (临沂市政协), or by its id, as older links do."""
    if not value or len(value) > 60:
        return None
    if session is not None and value in (session.committee.slug, str(session.committee_id)):
        return session.committee
    lookup = Q(slug=value)
    if (pk := pk_from_query(value)) is not None:
        lookup |= Q(pk=pk)
    found = list(Committee.objects.filter(lookup)[:2])
    # A slug that is all digits wins over the committee with that id.
    return next((c for c in found if c.slug == value), found[0] if found else None)


def _dashboard_scope(request):
    """Validated filters: a bad id is simply no filter, never an error page."""
    committee = session = department = None
    session_id = pk_from_query(request.GET.get("session"))
    department_id = pk_from_query(request.GET.get("department"))
    if session_id is not None:
        session = Session.objects.select_related("committee").filter(pk=session_id).first()
    committee = _committee((request.GET.get("committee") or "").strip(), session)
    if committee is not None and session is not None and session.committee_id != committee.pk:
        session = None  # a session of another committee: the committee decides
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
    return committee, session, department


@require_safe
@public_page
def dashboard(request):
    committee, session, department = _dashboard_scope(request)
    data = selectors.dashboard(committee=committee, session=session, department=department)
    committee = committee or (session.committee if session else None)
    for table in ("by_group", "by_department"):
        # Bars share one scale per chart: a row's length is its number of commitments.
        scale = max((row["commitments"] for row in data[table]), default=0)
        for row in data[table]:
            row["status_bars"] = _stacked_bar(row["statuses"], scale)
            row["overdue_width"] = round(BAR_WIDTH * row["overdue"] / scale, 2) if scale else 0
    # The choices stay short at province scale: every committee (a few hundred), the
    # sessions of the chosen committee only, and the departments in the table — all read
    # by the selector already.
    shown = {
        row["key"]: row["label"]
        for row in data["by_department"]
        if not is_placeholder_name(row["label"])
    }
    if department is not None:
        shown[department.pk] = department.name
    departments = sorted(shown.items(), key=lambda item: item[1])
    return render(
        request,
        "portal/dashboard.html",
        {
            **data,
            "committee": committee,
            "session": session,
            "department": department,
            "committees": [
                SimpleNamespace(slug=slug, name=name) for slug, name in data["committee_choices"]
            ]
            # A made-up committee is offered only while it is the one chosen (by its URL).
            + (
                [SimpleNamespace(slug=committee.slug, name=committee.name)]
                if committee is not None and committee.is_placeholder
                else []
            ),
            "sessions": data["session_choices"],
            "departments": [SimpleNamespace(pk=pk, name=name) for pk, name in departments],
            "status_choices": CommitmentStatus.choices,
            "legend": [(label, STATUS_COLOURS[value]) for value, label in CommitmentStatus.choices],
            "class_labels": CLASS_LABELS,
            "filter_query": request.GET.urlencode(),
            **kept_context(
                user=request.user, committee=committee, session=session, department=department
            ),
        },
    )


# Bar colours; every bar also carries its numbers in words (title) and in the table beside it.
STATUS_COLOURS = {
    "not_started": "#8c959f",
    "in_progress": "#0969da",
    "fulfilled": "#1a7f37",
    "partial": "#bf8700",
    "not_fulfilled": "#cf222e",
}


def _stacked_bar(statuses: dict[str, int], scale: int) -> list[dict]:
    """Segments of one SVG bar in status order (``BAR_WIDTH`` for ``scale`` commitments)."""
    return stacked_bar(statuses, scale, CommitmentStatus.choices, STATUS_COLOURS)


@require_safe
def dashboard_csv(request, table: str):
    if table not in {"sessions", "departments", "overdue", "oldest", "kept"}:
        raise Http404(_("没有这张表。"))
    committee, session, department = _dashboard_scope(request)
    if table == "kept":
        return kept_csv(request, committee=committee, session=session, department=department)
    data = selectors.dashboard(
        committee=committee,
        session=session,
        department=department,
        all_departments=True,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{table}.csv"'
    response.write("\ufeff")
    writer = spreadsheet.writer(response)
    if table in {"sessions", "departments"}:
        rows = data["by_group" if table == "sessions" else "by_department"]
        writer.writerow(
            [
                _("名称"),
                _("交办提案"),
                _("已答复提案"),
                _("办复率（%）"),
                _("期限已过的交办提案"),
                _("按时办复率（%）"),
                _("答复数"),
                _("满意率（%）"),
                _("已评价"),
            ]
            + [_("%(cls)s类占比（%%）") % {"cls": c} for c in CLASS_LABELS]
            + [_("承诺数")]
            + [label for _value, label in CommitmentStatus.choices]
            + [_("已逾期"), _("平均进度（%）")]
        )
        for row in rows:
            writer.writerow(
                [
                    row["label"],
                    row["assigned"],
                    row["replied"],
                    _blank(row["reply_rate"]),
                    row["due_passed"],
                    _blank(row["on_time_rate"]),
                    row["replies"],
                    _blank(row["satisfaction_rate"]),
                    row["rated"],
                ]
                + [_blank(row["classes"][c]) for c in CLASS_LABELS]
                + [row["commitments"]]
                + [row["statuses"][value] for value, _label in CommitmentStatus.choices]
                + [row["overdue"], _blank(row["progress"])]
            )
    else:
        items = data["overdue" if table == "overdue" else "oldest_open"]
        writer.writerow([_("承诺"), _("提案"), _("责任单位"), _("完成期限"), _("状态"), _("网址")])
        for item in items:
            writer.writerow(
                [
                    item.heading or item.public_text[:40],
                    str(item.reply.proposal),
                    item.owner.name,
                    item.due_on.isoformat() if item.due_on else "",
                    item.get_status_display(),
                    request.build_absolute_uri(item.get_absolute_url()),
                ]
            )
    return response


def _blank(value):
    return "" if value is None else value
