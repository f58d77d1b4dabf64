"""Staff pages on the public site: a department clerk's work queue, posting progress on
a commitment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.roles import Role, role_of
from replies import selectors
from replies.access import can_post_progress
from replies.forms import ProgressForm
from replies.models import CommitmentItem
from replies.services import progress

# The progress form came from the work queue: saving goes back there.
FROM_QUEUE = "queue"


@login_required
@require_safe
def work_queue(request):
    """A clerk's landing page: what their department has to do. The office works in the
    admin (sent there); anyone else is told why there is nothing here for them."""
    role = role_of(request.user)
    if role == Role.OFFICE:
        return redirect("admin:index")
    if role != Role.CLERK:
        raise PermissionDenied(_("工作台只供承办单位经办人使用。"))
    queue = selectors.clerk_queue(request.user)
    if queue is None:
        raise PermissionDenied(
            _("您的账号没有关联承办单位，因此没有可处理的事项。请联系提案委关联所在单位。")
        )
    return render(request, "portal/work_queue.html", {**queue, "from_queue": FROM_QUEUE})


@login_required
@require_http_methods(["GET", "POST"])
def post_progress(request, pk: int):
    commitment = get_object_or_404(
        CommitmentItem.objects.select_related("reply__proposal__session__committee", "owner"), pk=pk
    )
    if not can_post_progress(request.user, commitment):
        raise PermissionDenied(
            _(
                "这项承诺由%(owner)s负责。只有负责这项承诺的承办单位和提案委可以填报进展；"
                "您的账号不能填报其他单位的承诺。"
            )
            % {"owner": commitment.owner.name}
        )
    from_queue = request.GET.get("from") == FROM_QUEUE
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
            progress.record_progress(
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
        except progress.StaleEditError as error:
            # Show the newer state: reload the commitment, keep what the user typed.
            commitment = error.current
            form.add_error(None, error.messages[0])
            data = form.data.copy()
            data["version"] = commitment.version
            form.data = data
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            if from_queue:
                messages.success(
                    request,
                    _("进展已保存：%(item)s")
                    % {"item": commitment.heading or commitment.marker or commitment.number},
                )
                return redirect("portal:queue")
            messages.success(request, _("进展已保存。"))
            return redirect(commitment.get_absolute_url())
    return render(
        request,
        "portal/post_progress.html",
        {
            "commitment": commitment,
            "form": form,
            "updates": commitment.updates.select_related("author").order_by("-date", "-pk"),
            "today": timezone.localdate(),
            "from_queue": from_queue,
        },
    )
