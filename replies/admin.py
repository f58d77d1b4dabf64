from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AccessScopedMixin
from core.roles import can_publish, department_of, is_office
from proposals.admin import ProposalAdmin, SessionFilter
from proposals.models import Department, Proposal, Topic
from replies.forms import (
    LetterPreviewForm,
    LetterSourceForm,
    SectionFormSet,
    validate_evidence_file,
)
from replies.models import (
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    Reminder,
    Reply,
    Target,
)
from replies.parsing import parse_letter
from replies.services import indexing, progress, publication
from replies.services.letters import importer, lookups


class ReadOnlyInline:
    """A list of related rows, each changed on its own page (through its services): the
    user sees only the rows the model's access rule gives them."""

    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(pk__in=self.model._default_manager.visible_to(request.user))

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReplyInline(ReadOnlyInline, admin.TabularInline):
    model = Reply
    fields = ["department", "role", "title", "letter_date", "classification", "published_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department")


class CommitmentInline(ReadOnlyInline, admin.TabularInline):
    model = CommitmentItem
    fields = ["number", "heading", "topic", "owner", "due_on", "status", "progress"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("topic", "owner")


# Proposals are administered with their replies: the proposals app's admin, plus the
# (read-only) list of the replies the user may see.
admin.site.unregister(Proposal)


@admin.register(Proposal)
class ProposalWithRepliesAdmin(ProposalAdmin):
    inlines = [*ProposalAdmin.inlines, ReplyInline]


@admin.register(Reply)
class ReplyAdmin(AccessScopedMixin, SimpleHistoryAdmin):
    list_display = [
        "__str__",
        "proposal",
        "department",
        "role",
        "letter_date",
        "classification",
        "is_published",
        "satisfaction",
    ]
    list_filter = [
        "role",
        "classification",
        "satisfaction",
        "department",
        ("proposal__session", SessionFilter),
    ]
    list_select_related = ["proposal__session__committee", "department"]
    search_fields = [
        "title",
        "doc_number",
        "index_number",
        "body",
        "proposal__title",
        "proposal__number",
    ]
    autocomplete_fields = ["proposal", "department", "supersedes"]
    date_hierarchy = "letter_date"
    inlines = [CommitmentInline]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["publish", "unpublish"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not can_publish(request.user):
            # Publishing is the proposal office's decision.
            fields += ["published_at", "satisfaction", "satisfaction_comment"]
        return fields

    def has_publish_permission(self, request):
        return can_publish(request.user)

    @admin.display(description=_("已公开"), boolean=True)
    def is_published(self, obj: Reply) -> bool:
        return obj.is_published

    @admin.action(description=_("公开所选答复"), permissions=["publish"])
    def publish(self, request, queryset):
        replies = list(queryset.filter(published_at__isnull=True))
        for reply in replies:
            publication.publish_reply(reply=reply)
        self.message_user(
            request,
            ngettext("已公开 %(count)d 件答复。", "已公开 %(count)d 件答复。", len(replies))
            % {"count": len(replies)},
            messages.SUCCESS,
        )

    @admin.action(description=_("撤回所选答复（改为草稿）"), permissions=["publish"])
    def unpublish(self, request, queryset):
        replies = list(queryset.filter(published_at__isnull=False))
        for reply in replies:
            publication.unpublish_reply(reply=reply)
        self.message_user(
            request,
            ngettext("已撤回 %(count)d 件答复。", "已撤回 %(count)d 件答复。", len(replies))
            % {"count": len(replies)},
            messages.SUCCESS,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        indexing.reindex_proposals([form.instance.proposal_id])

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_letter_view),
                name="replies_reply_import",
            ),
            *super().get_urls(),
        ]

    def import_letter_view(self, request):
        """Paste or upload a letter → an editable preview of what was read → save."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入答复函"),
        }
        topics = lookups.topic_keywords()
        if request.method == "POST" and "save" in request.POST:
            form = LetterPreviewForm(request.POST)
            sections = SectionFormSet(request.POST, prefix="sections")
            letter = request.POST.get("letter", "")
            parsed = parse_letter(letter, topics=topics)
            if form.is_valid() and sections.is_valid():
                if len(sections.forms) != len(parsed.sections):
                    form.add_error(None, _("各部分的数量与原文不符，请重新导入。"))
                else:
                    edited = form.apply_to(parsed, [f.cleaned_data for f in sections.forms])
                    try:
                        result = importer.import_letter(
                            text=form.cleaned_data["letter"],
                            parsed=edited,
                            source_url=form.cleaned_data["source_url"],
                            publish=form.cleaned_data["publish"] and can_publish(request.user),
                            force=True,
                            department=self._clerk_department(request),
                            actor=request.user,
                        )
                    except (ValidationError, DatabaseError) as error:
                        reason = "；".join(getattr(error, "messages", None) or [str(error)])
                        form.add_error(
                            None, _("保存失败，未作任何修改：%(error)s") % {"error": reason}
                        )
                    else:
                        count = result.reply.commitments.count()
                        self.message_user(
                            request,
                            _("已保存：%(proposal)s，%(count)d 项承诺。")
                            % {"proposal": result.proposal, "count": count},
                            messages.SUCCESS,
                        )
                        return redirect(
                            reverse("admin:replies_reply_change", args=[result.reply.pk])
                        )
            return self._render_preview(request, context, form, sections, parsed)
        if request.method == "POST":
            source = LetterSourceForm(request.POST, request.FILES)
            if source.is_valid():
                letter = source.cleaned_data["letter"]
                parsed = parse_letter(letter, topics=topics)
                form = LetterPreviewForm(
                    initial=LetterPreviewForm.initial_from(
                        parsed,
                        letter=letter,
                        source_url=source.cleaned_data["source_url"],
                        publish=source.cleaned_data["publish"],
                    )
                )
                by_key = {topic.key: topic for topic in Topic.objects.all()}
                sections = SectionFormSet(
                    initial=[
                        {"heading": section.heading or "", "topic": by_key.get(section.topic)}
                        for section in parsed.sections
                    ],
                    prefix="sections",
                )
                return self._render_preview(request, context, form, sections, parsed)
        else:
            source = LetterSourceForm(initial={"publish": can_publish(request.user)})
        if not can_publish(request.user):
            source.fields["publish"].disabled = True
        return TemplateResponse(
            request, "admin/replies/import_letter.html", {**context, "source": source}
        )

    def _clerk_department(self, request) -> Department | None:
        """A clerk's letters are always their own department's, whatever the signature says."""
        if is_office(request.user):
            return None
        department = department_of(request.user)
        if department is None:
            raise PermissionDenied
        return Department.objects.get(pk=department)

    def _render_preview(self, request, context, form, sections, parsed):
        if not can_publish(request.user):
            form.fields["publish"].disabled = True
            form.fields["publish"].help_text = _("只有提案委可以公开答复；保存为草稿。")
        rows = [
            (section, section_form, CommitmentStatus(section.suggested_status).label)
            for section, section_form in zip(parsed.sections, sections.forms, strict=False)
        ]
        return TemplateResponse(
            request,
            "admin/replies/import_letter.html",
            {**context, "form": form, "sections": sections, "rows": rows, "parsed": parsed},
        )


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ["text", "quantity", "unit", "due_on", "achieved"]


class CommitmentUpdateForm(forms.ModelForm):
    """Evidence uploads in the admin pass the same checks as on the staff progress page.

    The attachment's link (``FieldFile.url``) is the permission-checking download view: see
    ``replies.views.evidence_file``.
    """

    class Meta:
        model = CommitmentUpdate
        fields = ["commitment", "date", "status", "note", "evidence_url", "attachment"]

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        # A new upload, not the file an existing update already has.
        if isinstance(upload, UploadedFile):
            validate_evidence_file(upload)
        return upload


class CommitmentUpdateInline(admin.TabularInline):
    """Updates are only ever added: existing rows are shown read-only and cannot be deleted."""

    model = CommitmentUpdate
    form = CommitmentUpdateForm
    extra = 0
    fields = ["date", "status", "note", "evidence_url", "attachment", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_change_permission(self, request, obj=None):
        return False


class CommitmentItemForm(forms.ModelForm):
    """Carries the version the editor loaded; saving over a newer version is refused."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CommitmentItem
        fields = [
            "reply",
            "number",
            "marker",
            "heading",
            "text",
            "statements",
            "topic",
            "owner",
            "due_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is not None:
            try:
                # The admin's change view runs in a transaction: the lock holds until saved.
                progress.lock_version(commitment=self.instance, expected_version=loaded)
            except progress.StaleEditError as error:
                raise forms.ValidationError(error.messages[0], code="stale") from error
        return cleaned


@admin.register(CommitmentItem)
class CommitmentItemAdmin(AccessScopedMixin, SimpleHistoryAdmin):
    form = CommitmentItemForm
    list_display = ["__str__", "reply_proposal", "owner", "topic", "due_on", "status", "progress"]
    list_filter = ["status", "topic", "owner", ("reply__proposal__session", SessionFilter)]
    list_select_related = ["reply__proposal__session", "owner", "topic"]
    search_fields = ["heading", "text", "reply__proposal__title", "reply__proposal__number"]
    autocomplete_fields = ["reply", "topic", "owner"]
    date_hierarchy = "due_on"
    inlines = [TargetInline, CommitmentUpdateInline]
    readonly_fields = ["status", "progress", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    @admin.display(description=_("提案"), ordering="reply__proposal__number")
    def reply_proposal(self, obj: CommitmentItem) -> str:
        return str(obj.reply.proposal)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CommitmentUpdate:
            super().save_formset(request, form, formset, change)
            progress.refresh_commitment(commitment=form.instance)
            return
        # New updates (and their evidence files) go through the same service as every
        # other caller.
        created = []
        for inline_form in formset.forms:
            if not inline_form.has_changed() or inline_form.instance.pk:
                continue
            data = inline_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            created.append(
                progress.post_update(
                    commitment=form.instance,
                    status=data["status"],
                    date=data["date"],
                    note=data.get("note", ""),
                    evidence_url=data.get("evidence_url", ""),
                    attachment=data.get("attachment") or None,
                    author=request.user,
                )
            )
        # What formset.save() would have recorded: the admin's change message reads it, and
        # without it every save of a commitment ended in a server error.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = created, [], []


@admin.register(Target)
class TargetAdmin(AccessScopedMixin, admin.ModelAdmin):
    list_display = ["text", "commitment", "quantity", "unit", "achieved", "due_on"]
    list_select_related = ["commitment"]
    search_fields = ["text", "commitment__heading"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "due_on"


@admin.register(CommitmentUpdate)
class CommitmentUpdateAdmin(AccessScopedMixin, admin.ModelAdmin):
    form = CommitmentUpdateForm
    list_display = ["date", "commitment", "status", "author", "created_at"]
    list_filter = ["status", "date"]
    list_select_related = ["commitment", "author"]
    search_fields = ["note", "commitment__heading"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "date"
    readonly_fields = ["author", "created_at"]

    def has_change_permission(self, request, obj=None):
        # Append-only: an update once posted is never edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = progress.post_update(
            commitment=obj.commitment,
            status=obj.status,
            date=obj.date,
            note=obj.note,
            evidence_url=obj.evidence_url,
            attachment=form.cleaned_data.get("attachment") or None,
            author=request.user,
        )
        obj.pk = created.pk


@admin.register(Reminder)
class ReminderAdmin(AccessScopedMixin, admin.ModelAdmin):
    """What the daily reminder job sent: read-only."""

    list_display = ["sent_on", "kind", "commitment", "recipients"]
    list_filter = ["kind"]
    list_select_related = ["commitment"]
    search_fields = ["commitment__heading", "recipients"]
    date_hierarchy = "sent_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
