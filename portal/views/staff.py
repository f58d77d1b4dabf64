"""Staff pages on the public site: posting progress on a commitment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from replies.access import can_post_progress
from replies.forms import ProgressForm
from replies.models import CommitmentItem
from replies.services import progress


@login_required
@require_http_methods(["GET", "POST"])
def post_progress(request, pk: int):
    commitment = get_object_or_404(
        CommitmentItem.objects.select_related("reply__proposal__session__committee", "owner"), pk=pk
    )
    if not can_post_progress(request.user, commitment):
        raise PermissionDenied(
            _("只有负责这项承诺的承办单位（%(owner)s）和提案委可以填报进展。")
            % {"owner": commitment.owner.name}
        )
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
        },
    )
