from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from proposals.models import (
    Committee,
    Department,
    Proposal,
    ProposalProposer,
    Proposer,
    Session,
    Topic,
)
from replies.models import Reply


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
    list_display = ["name", "kind", "affiliation"]
    list_filter = ["kind"]
    search_fields = ["name", "affiliation"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "reply_count"]
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


class ReplyInline(admin.StackedInline):
    model = Reply
    extra = 0
    show_change_link = True
    fields = [
        "department",
        "role",
        "title",
        "doc_number",
        "letter_date",
        "classification",
        "published_at",
    ]
    autocomplete_fields = ["department"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
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
    list_filter = ["kind", "status", "session__committee", ("session", SessionFilter), "topics"]
    list_select_related = ["session__committee", "lead_department"]
    search_fields = ["number", "title", "proposers__name"]
    autocomplete_fields = ["session", "lead_department", "co_departments", "topics"]
    date_hierarchy = "assigned_on"
    inlines = [ProposalProposerInline, ReplyInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("proposers")

    @admin.display(description=_("提案人"))
    def proposer_names(self, obj: Proposal) -> str:
        return "、".join(proposer.name for proposer in obj.proposers.all())
