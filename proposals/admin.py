from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AccessScopedMixin
from core.roles import department_of, is_office
from proposals import services
from proposals.forms import ProposalForm
from proposals.models import (
    Clerk,
    Committee,
    DeadlineExtension,
    Department,
    Proposal,
    ProposalProposer,
    Proposer,
    Session,
    Topic,
)


class SessionFilter(admin.RelatedFieldListFilter):
    """Lists sessions with their committee in one query (the default asks once per row)."""

    def field_choices(self, field, request, model_admin):
        return [
            (session.pk, str(session)) for session in Session.objects.select_related("committee")
        ]


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "level", "slug"]
    list_filter = ["kind", "level"]
    search_fields = ["name", "aliases"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "committee", "term", "meeting", "year"]
    list_filter = ["committee", "year"]
    list_select_related = ["committee"]
    search_fields = ["committee__name", "year"]
    autocomplete_fields = ["committee"]


@admin.register(Proposer)
class ProposerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation", "user"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["name", "affiliation"]
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(AccessScopedMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "email", "reply_count"]
    search_fields = ["name", "short_name", "aliases"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_reply_count=Count("replies"))

    @admin.display(description=_("答复数"), ordering="_reply_count")
    def reply_count(self, obj: Department) -> int:
        return obj._reply_count


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "keywords"]
    search_fields = ["name", "key", "keywords"]
    prepopulated_fields = {"key": ["name"]}


class ProposalProposerInline(admin.TabularInline):
    model = ProposalProposer
    extra = 0
    autocomplete_fields = ["proposer"]


class OverdueFilter(admin.SimpleListFilter):
    title = _("答复是否逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已逾期未答复"))]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "yes" else queryset


class DeadlineExtensionForm(forms.ModelForm):
    """A request for a later reply due date, checked as the service checks it."""

    class Meta:
        model = DeadlineExtension
        fields = ["proposal", "new_due", "reason"]

    def clean(self):
        cleaned = super().clean()
        proposal = cleaned.get("proposal") or getattr(self.instance, "proposal", None)
        if proposal is not None and self.instance.pk is None:
            services.check_extension(proposal=proposal, new_due=cleaned.get("new_due"))
        return cleaned


class DeadlineExtensionInline(admin.TabularInline):
    """Requests are added here; once made they are decided in the extensions list."""

    model = DeadlineExtension
    form = DeadlineExtensionForm
    extra = 0
    can_delete = False
    fields = ["new_due", "reason", "requested_by", "requested_at", "approved_by", "approved_at"]
    readonly_fields = ["requested_by", "requested_at", "approved_by", "approved_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by", "approved_by")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(AccessScopedMixin, SimpleHistoryAdmin):
    form = ProposalForm
    list_display = [
        "number",
        "title",
        "session",
        "kind",
        "proposer_names",
        "lead_department",
        "status",
    ]
    list_display_links = ["number", "title"]
    list_filter = [
        "kind",
        "status",
        OverdueFilter,
        "session__committee",
        ("session", SessionFilter),
        "topics",
    ]
    list_select_related = ["session__committee", "lead_department"]
    search_fields = ["number", "title", "proposers__name"]
    autocomplete_fields = ["session", "lead_department", "co_departments", "topics"]
    date_hierarchy = "assigned_on"
    inlines = [ProposalProposerInline, DeadlineExtensionInline]
    readonly_fields = ["status", "assigned_on", "reply_due", "created_at", "updated_at"]
    actions = ["accept", "reject", "assign", "return_misassigned", "close"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("proposers")

    @admin.display(description=_("提案人"))
    def proposer_names(self, obj: Proposal) -> str:
        return "、".join(proposer.name for proposer in obj.proposers.all())

    def _apply(self, request, proposals, step) -> int:
        """Run a workflow step on each proposal; a refused one is reported, not fatal."""
        done = 0
        for proposal in proposals:
            try:
                if step(proposal) is not False:
                    done += 1
            except services.TransitionError as error:
                self.message_user(
                    request, f"{proposal.number_label}：{error.messages[0]}", messages.ERROR
                )
        return done

    def _refuse(self, request, proposal, message) -> bool:
        self.message_user(request, message % {"number": proposal.number_label}, messages.ERROR)
        return False

    def _move(self, request, queryset, to: str) -> None:
        moved = self._apply(
            request, queryset, lambda proposal: services.transition(proposal=proposal, to=to)
        )
        if moved:
            self.message_user(
                request,
                ngettext("已处理 %(count)d 件提案。", "已处理 %(count)d 件提案。", moved)
                % {"count": moved},
                messages.SUCCESS,
            )

    @admin.action(description=_("立案"), permissions=["change"])
    def accept(self, request, queryset):
        self._move(request, queryset, Proposal.Status.ACCEPTED)

    @admin.action(description=_("不予立案"), permissions=["change"])
    def reject(self, request, queryset):
        self._move(request, queryset, Proposal.Status.REJECTED)

    @admin.action(description=_("交办（按所填主办、协办单位）"), permissions=["change"])
    def assign(self, request, queryset):
        def step(proposal):
            if proposal.lead_department is None:
                return self._refuse(request, proposal, _("%(number)s：请先填写主办单位。"))
            return services.assign(
                proposal=proposal,
                lead=proposal.lead_department,
                co_departments=list(proposal.co_departments.all()),
            )

        proposals = queryset.select_related("lead_department").prefetch_related("co_departments")
        moved = self._apply(request, proposals, step)
        if moved:
            self.message_user(
                request, _("已交办 %(count)d 件提案。") % {"count": moved}, messages.SUCCESS
            )

    @admin.action(description=_("退回提案委（交办有误）"), permissions=["return"])
    def return_misassigned(self, request, queryset):
        office = is_office(request.user)
        department = department_of(request.user)

        def step(proposal):
            if not office and proposal.lead_department_id != department:
                return self._refuse(request, proposal, _("%(number)s：只有主办单位可以退回。"))
            services.return_misassigned(proposal=proposal)
            self.message_user(
                request,
                _("%(number)s 已退回。") % {"number": proposal.number_label},
                messages.SUCCESS,
            )
            return True

        self._apply(request, queryset, step)

    def has_return_permission(self, request):
        # The lead department's clerk returns a proposal that is not theirs; the office may too.
        return request.user.has_perm("proposals.view_proposal")

    @admin.action(description=_("办结"), permissions=["change"])
    def close(self, request, queryset):
        self._move(request, queryset, Proposal.Status.CLOSED)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if (
            obj is not None
            and obj.assigned_on is None
            and obj.status in services.ASSIGNED_OR_LATER
            and is_office(request.user)
        ):
            # A proposal imported with its replies: the letter names no 交办 date; the
            # office records it once (按时办复率 counts against the due date from it).
            fields.remove("assigned_on")
        return fields

    def save_model(self, request, obj, form, change):
        changed = set(form.changed_data)
        assigned_on = obj.assigned_on if "assigned_on" in changed else None
        if assigned_on is not None:
            obj.assigned_on = None  # recorded by the service below, with the due date
        services.save_proposal(proposal=obj, changed=changed - {"assigned_on"}, actor=request.user)
        if assigned_on is not None:
            try:
                services.record_assignments({obj.pk: assigned_on})
            except ValidationError as error:  # another user recorded one meanwhile
                self.message_user(request, error.messages[0], messages.ERROR)
            obj.refresh_from_db()

    def delete_model(self, request, obj):
        # Through the service: an assigned proposal leaves its department's 办复率.
        self.delete_queryset(request, Proposal.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        try:
            services.delete_proposals(list(queryset))
        except ValidationError as error:  # a reply was published meanwhile
            self.message_user(request, error.messages[0], messages.ERROR)

    def save_formset(self, request, form, formset, change):
        if formset.model is DeadlineExtension:
            for instance in formset.save(commit=False):
                services.request_extension(
                    proposal=form.instance,
                    new_due=instance.new_due,
                    reason=instance.reason,
                    user=request.user,
                )
            return
        super().save_formset(request, form, formset, change)


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(AccessScopedMixin, admin.ModelAdmin):
    list_display = [
        "proposal",
        "new_due",
        "requested_by",
        "requested_at",
        "approved_by",
        "approved_at",
    ]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["proposal", "requested_by", "approved_by"]
    search_fields = ["proposal__title", "proposal__number", "reason"]
    autocomplete_fields = ["proposal"]
    date_hierarchy = "requested_at"
    readonly_fields = ["requested_by", "requested_at", "approved_by", "approved_at"]
    actions = ["approve"]

    form = DeadlineExtensionForm

    def has_change_permission(self, request, obj=None):
        # A request once made is decided, not edited.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        created = services.request_extension(
            proposal=obj.proposal, new_due=obj.new_due, reason=obj.reason, user=request.user
        )
        obj.pk = created.pk

    @admin.action(description=_("批准所选延期申请"), permissions=["approve"])
    def approve(self, request, queryset):
        count = 0
        for extension in queryset.select_related("proposal"):
            services.approve_extension(extension=extension, user=request.user)
            count += 1
        self.message_user(
            request, _("已批准 %(count)d 项延期。") % {"count": count}, messages.SUCCESS
        )

    def has_approve_permission(self, request):
        # Only the proposal office approves extensions; clerks only ask for them.
        return is_office(request.user) and request.user.has_perm(
            "proposals.change_deadlineextension"
        )


@admin.register(Clerk)
class ClerkAdmin(admin.ModelAdmin):
    list_display = ["user", "department"]
    list_select_related = ["user", "department"]
    search_fields = ["user__username", "department__name"]
    autocomplete_fields = ["user", "department"]
