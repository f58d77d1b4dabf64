"""Oversight on the public site: the dashboard, members' own proposals, staff progress."""

import csv
import math
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from proposals.models import Committee, Department, Session
from proposals.views import cache_public_page, pk_from_query
from replies import selectors, services
from replies.forms import ProgressForm, RatingForm
from replies.models import CommitmentItem, CommitmentStatus, CommitmentUpdate, Reply
from replies.roles import can_post_progress, clerk_department_id

CLASS_LABELS = ["A", "B", "C", "D"]


class LoginView(auth_views.LoginView):
    template_name = "replies/login.html"
    redirect_authenticated_user = True


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a page in Chinese, status 429.

    Used by the members' login and the admin login alike.
    """
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(
        request,
        "replies/lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )


def axes_username(request, credentials=None) -> str | None:
    """The user name django-axes counts failures for (AXES_USERNAME_CALLABLE): as typed,
    cut to what its column holds. The login form does not limit what is typed, and on
    PostgreSQL a longer name made the failed login itself fail with a server error."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = (credentials or {}).get(field) if credentials else request.POST.get(field)
    if value is None:
        return None
    return str(value).replace("\x00", "")[:255]


def bad_request(request, exception):
    """handler400: an oversized or malformed request gets a page that says so in Chinese."""
    return render(request, "replies/bad_request.html", status=400)


class RejectNulInQueryMiddleware:
    """A NUL character in a query parameter is a 400, before any view sees it.

    No text of ours contains NUL, PostgreSQL cannot store or even compare text with one,
    and the admin's search boxes and filters hand query parameters straight to it (a 500
    before this). Forms already refuse NUL in what they post, field by field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return bad_request(request, None)
        return self.get_response(request)


# Evidence is served only as a download, under a content type that no browser executes.
EVIDENCE_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}


def _may_see_evidence(user, update: CommitmentUpdate) -> bool:
    """Evidence of a published reply is public; of a draft, only for those who may see the
    draft: the proposal office, the owning department's clerk, and the proposal's own
    proposers (DESIGN.md's roles)."""
    commitment = update.commitment
    if commitment.reply.is_published:
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff and user.has_perm("replies.view_commitmentupdate"):
        department = clerk_department_id(user)
        if department is None or department == commitment.owner_id:
            return True
    return commitment.reply.proposal.proposers.filter(user=user).exists()


@require_GET
def evidence_file(request, name: str):
    """Every uploaded file URL (``FieldFile.url``, in the admin and templates alike) lands
    here: nothing under MEDIA_URL is served raw, in development or in production.

    Files nobody may see, and files no update refers to, are a 404, as for the public
    pages: a draft does not exist for the public.
    """
    update = (
        CommitmentUpdate.objects.select_related("commitment__reply")
        .filter(attachment=name)
        .order_by("pk")
        .first()
    )
    if update is None or not _may_see_evidence(request.user, update):
        raise Http404(_("没有找到这份佐证材料。"))
    try:
        handle = update.attachment.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404(_("没有找到这份佐证材料。")) from error
    filename = PurePath(update.attachment.name).name
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=EVIDENCE_CONTENT_TYPES.get(
            PurePath(filename).suffix.lower(), "application/octet-stream"
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened in a tab after all, the file may run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if not update.commitment.reply.is_published:
        patch_cache_control(response, private=True, no_store=True)
    return response


def _dashboard_scope(request):
    """Validated filters: a bad id is simply no filter, never an error page."""
    committee = session = department = None
    committee_id = pk_from_query(request.GET.get("committee"))
    session_id = pk_from_query(request.GET.get("session"))
    department_id = pk_from_query(request.GET.get("department"))
    if committee_id is not None:
        committee = Committee.objects.filter(pk=committee_id).first()
    if session_id is not None:
        session = Session.objects.select_related("committee").filter(pk=session_id).first()
        if session is not None and committee is not None and session.committee_id != committee.pk:
            session = None  # a session of another committee: the committee decides
    if department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
    return committee, session, department


@require_GET
@cache_public_page
def dashboard(request):
    committee, session, department = _dashboard_scope(request)
    data = selectors.dashboard(
        request.user, committee=committee, session=session, department=department
    )
    committee = committee or (session.committee if session else None)
    heights = {}
    for table in ("by_group", "by_department"):
        for index, row in enumerate(data[table]):
            row["status_bars"] = _stacked_bar(row["statuses"], row["commitments"])
            row["y"] = index * ROW_HEIGHT
        heights[table] = max(len(data[table]), 1) * ROW_HEIGHT
    # The choices stay short at province scale: every committee (a few hundred), the
    # sessions of the chosen committee only, and the departments in the table.
    department_ids = [row["key"] for row in data["by_department"]]
    if department is not None:
        department_ids.append(department.pk)
    return render(
        request,
        "replies/dashboard.html",
        {
            **data,
            "committee": committee,
            "session": session,
            "department": department,
            "committees": Committee.objects.order_by("name").only("pk", "name"),
            "sessions": Session.objects.filter(committee=committee).select_related("committee")
            if committee
            else [],
            "departments": Department.objects.filter(pk__in=department_ids)
            .order_by("name")
            .only("pk", "name"),
            "status_choices": CommitmentStatus.choices,
            "legend": [(label, STATUS_COLOURS[value]) for value, label in CommitmentStatus.choices],
            "heights": heights,
            "class_labels": CLASS_LABELS,
            "filter_query": request.GET.urlencode(),
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
BAR_LEFT, BAR_WIDTH, ROW_HEIGHT = 110, 280, 12


def _stacked_bar(statuses: dict[str, int], total: int) -> list[dict]:
    """Segments of one SVG bar in status order, in the chart's own units."""
    segments, offset = [], float(BAR_LEFT)
    for status, label in CommitmentStatus.choices:
        count = statuses.get(status, 0)
        width = BAR_WIDTH * count / total if total else 0
        if count:
            segments.append(
                {
                    "label": label,
                    "count": count,
                    "x": round(offset, 2),
                    "width": round(width, 2),
                    "colour": STATUS_COLOURS[status],
                }
            )
        offset += width
    return segments


@require_GET
def dashboard_csv(request, table: str):
    if table not in {"sessions", "departments", "overdue", "oldest"}:
        raise Http404(_("没有这张表。"))
    committee, session, department = _dashboard_scope(request)
    data = selectors.dashboard(
        request.user,
        committee=committee,
        session=session,
        department=department,
        all_departments=True,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{table}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    if table in {"sessions", "departments"}:
        rows = data["by_group" if table == "sessions" else "by_department"]
        writer.writerow(
            [_("名称"), _("答复数"), _("办复率（%）"), _("满意率（%）"), _("已评价")]
            + [_("%(cls)s类占比（%%）") % {"cls": c} for c in CLASS_LABELS]
            + [_("承诺数")]
            + [label for _value, label in CommitmentStatus.choices]
            + [_("已逾期"), _("平均进度（%）")]
        )
        for row in rows:
            writer.writerow(
                [
                    row["label"],
                    row["replies"],
                    _blank(row["on_time_rate"]),
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
                    item.heading or item.text[:40],
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


@login_required
@require_GET
def my_proposals(request):
    return render(
        request,
        "replies/my_proposals.html",
        {
            "proposals": selectors.member_proposals(request.user),
            "rating_form": RatingForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def rate_reply(request, pk: int):
    # Only the proposal's own proposers may rate its replies; others get a 404, not a hint.
    reply = get_object_or_404(Reply, pk=pk, proposal__proposers__user=request.user)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rate_reply(
                reply=reply,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("感谢您的评价。"))
    elif "satisfaction" in form.errors:
        messages.error(request, _("请选择满意程度后再提交。"))
    else:
        messages.error(
            request,
            _("评价未保存：意见%(error)s") % {"error": " ".join(form.errors.get("comment", []))},
        )
    return redirect("replies:mine")


@login_required
@require_http_methods(["GET", "POST"])
def post_progress(request, pk: int):
    commitment = get_object_or_404(
        CommitmentItem.objects.select_related("reply__proposal__session__committee", "owner"), pk=pk
    )
    if not can_post_progress(request.user, commitment):
        raise PermissionDenied
    targets = list(commitment.targets.order_by("pk"))
    form = ProgressForm(
        request.POST or None,
        request.FILES or None,
        targets=targets,
        initial={
            "version": commitment.version,
            "date": timezone.localdate(),
            "status": commitment.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_progress(
                commitment=commitment,
                expected_version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                date=form.cleaned_data["date"],
                note=form.cleaned_data["note"],
                evidence_url=form.cleaned_data["evidence_url"],
                attachment=form.cleaned_data["attachment"],
                achieved=form.achieved(),
                author=request.user,
            )
        except services.StaleEditError as error:
            # Show the newer state: reload the commitment, keep what the user typed.
            commitment = error.current
            form.add_error(None, error.messages[0])
            data = form.data.copy()
            data["version"] = commitment.version
            form.data = data
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("进展已保存。"))
            return redirect(commitment.get_absolute_url())
    return render(
        request,
        "replies/post_progress.html",
        {
            "commitment": commitment,
            "form": form,
            "updates": commitment.updates.select_related("author").order_by("-date", "-pk"),
            "today": timezone.localdate(),
        },
    )
