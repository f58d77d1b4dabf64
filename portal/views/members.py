"""Committee members' pages: login, their own proposals, rating replies."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.roles import Role, role_of
from proposals import services as proposal_services
from replies import selectors
from replies.forms import RatingForm
from replies.models import Reply, Satisfaction
from replies.services import rating


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Without a ``next``: a department clerk lands on their work queue; everyone else
        where ``LOGIN_REDIRECT_URL`` says (a member: their proposals)."""
        if role_of(self.request.user) == Role.CLERK:
            return reverse("portal:queue")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, in Chinese; the link in the e-mail is on the site's public
    address (``SITE_URL``), never the Host header the request came with."""

    template_name = "portal/password_reset_form.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password-reset-done")

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


@login_required
@require_safe
def my_proposals(request):
    proposer = selectors.member_proposer(request.user)
    since = proposal_services.record_member_visit(proposer=proposer) if proposer else None
    proposals = selectors.member_proposals(request.user)
    news = selectors.mark_new_since(proposals, since)
    return render(
        request,
        "portal/my_proposals.html",
        {
            "proposals": proposals,
            "since": since,
            "news": news,
            "proposer": proposer,
            "rating_form": RatingForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def update_notifications(request):
    """The member's opt-in (or out) of an e-mail on every progress update."""
    enabled = request.POST.get("notify_updates") == "on"
    if not proposal_services.set_update_notifications(user=request.user, enabled=enabled):
        messages.error(request, _("您的账号没有关联提案人，无法设置通知。请联系提案委。"))
    elif enabled:
        messages.success(request, _("已开启：提案的承诺有新进展时，我们会发邮件通知您。"))
    else:
        messages.success(request, _("已关闭进展邮件通知。"))
    return redirect("portal:mine")


@login_required
@require_POST
def rate_reply(request, pk: int):
    # Only the proposal's own proposers may rate its replies; others get a 404, not a hint.
    reply = get_object_or_404(
        Reply.objects.visible_to(request.user)
        .filter(proposal__proposers__user=request.user)
        .select_related("proposal__session__committee", "department")
        .distinct(),
        pk=pk,
    )
    form = RatingForm(request.POST)
    if (
        form.is_valid()
        and form.cleaned_data["satisfaction"] == Satisfaction.UNSATISFIED
        and request.POST.get("confirm") != "yes"
    ):
        # 不满意 sends the proposal back to the department: say so, and ask once more.
        return render(
            request,
            "portal/rate_confirm.html",
            {"reply": reply, "comment": form.cleaned_data["comment"]},
        )
    if form.is_valid():
        try:
            rating.rate_reply(
                reply=reply,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if form.cleaned_data["satisfaction"] == Satisfaction.UNSATISFIED:
                messages.success(
                    request,
                    _("感谢您的评价。提案已退回%(department)s重新办理。")
                    % {"department": reply.department.name},
                )
            else:
                messages.success(request, _("感谢您的评价。"))
    elif "satisfaction" in form.errors:
        messages.error(request, _("请选择满意程度后再提交。"))
    else:
        messages.error(
            request,
            _("评价未保存：意见%(error)s") % {"error": " ".join(form.errors.get("comment", []))},
        )
    return redirect("portal:mine")
