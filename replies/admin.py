from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AccessScopedMixin
from core.roles import can_publish, department_of, is_office
from proposals.admin import ProposalAdmin, SessionFilter
from proposals.models import Department, Proposal, Topic
from replies import selectors
from replies.forms import (
    BatchImportForm,
    DeadlineForm,
    LetterPreviewForm,
    LetterSourceForm,
    ProposalTextForm,
    SectionForm,
    SectionFormSet,
    WithdrawForm,
    validate_evidence_file,
)
from replies.models import (
    CommitmentItem,
    CommitmentStatus,
    CommitmentUpdate,
    DeadlineChange,
    ImportJob,
    Reminder,
    Reply,
    ReplyRevision,
    Target,
)
from replies.parsing import parse_letter
from replies.parsing.class_check import A_ALL_FUTURE, FIRM_DATED_PROMISES
from replies.parsing.text import remove_control_characters
from replies.services import coverage, deadlines, privacy, progress, publication
from replies.services.letters import importer, jobs, lookups, preview

OUTCOME_LABELS = [
    ("imported", _("新导入")),
    ("updated", _("已更新")),
    ("unchanged", _("未变（已导入过）")),
    ("failed", _("失败")),
]


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


class RepeatFilter(admin.SimpleListFilter):
    """重复提出: proposals that raise again the problem of an earlier one of the same
    committee (``RelatedProposal``); ``resolved``: whose earlier one was said to be solved."""

    title = _("重复提出")
    parameter_name = "repeat"

    def lookups(self, request, model_admin):
        return [
            ("resolved", _("此前已答复解决（A类或承诺已全部完成）")),
            ("any", _("有此前相关提案")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in ("resolved", "any"):
            return queryset
        return selectors.repeated_proposals(
            queryset, request.user, resolved=self.value() == "resolved"
        )


@admin.register(Proposal)
class ProposalWithRepliesAdmin(ProposalAdmin):
    inlines = [*ProposalAdmin.inlines, ReplyInline]
    list_filter = [*ProposalAdmin.list_filter, RepeatFilter]
    readonly_fields = [*ProposalAdmin.readonly_fields, "earlier_proposals"]

    def get_object(self, request, object_id, from_field=None):
        proposal = super().get_object(request, object_id, from_field)
        if proposal is not None:
            # What the user may see of the earlier ones (the read-only field has no request).
            proposal.repeat_flags = selectors.repeat_flags(proposal, request.user)
        return proposal

    @admin.display(description=_("此前相关提案（重复提出）"))
    def earlier_proposals(self, obj: Proposal) -> str:
        earlier = getattr(obj, "repeat_flags", [])
        if not earlier:
            return gettext("无")
        rows = []
        for other in earlier:
            reasons = "；".join(str(reason) for reason in other.resolved_reasons)
            rows.append(
                (
                    reverse("admin:proposals_proposal_change", args=[other.pk]),
                    f"{other.session} {other.number_label} {other.title}",
                    "、".join(other.classes) or gettext("无类别"),
                    other.commitments,
                    other.fulfilled,
                    format_html(
                        ' <strong class="errornote">{}</strong>',
                        gettext("已答复解决却再次提出：%(reasons)s") % {"reasons": reasons},
                    )
                    if reasons
                    else "",
                )
            )
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a>（{}；承诺 {} 项，已完成 {} 项）{}</li>',
                rows,
            ),
        )

    form = ProposalTextForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        # Publishing the proposal's own text is the office's decision.
        form.base_fields["proposal_text_public"].disabled = not is_office(request.user)
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        coverage.save_proposal_text(
            proposal=obj,
            text=form.cleaned_data.get("proposal_text") or "",
            public=form.cleaned_data.get("proposal_text_public", False),
            actor=request.user,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Each suggestion of the proposal's text beside the replies (drafts included) this
        # user may read; shown under the form (admin/proposals/proposal/change_form.html).
        extra_context = dict(extra_context or {})
        proposal = self.get_object(request, unquote(object_id))
        if proposal is not None:
            extra_context["coverage"] = selectors.staff_coverage(proposal, request.user)
            extra_context["coverage_text"] = bool(proposal.text)
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Deleting a proposal deletes its replies: never one that was published.
        if obj is not None and obj.replies.filter(published_at__isnull=False).exists():
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        kept = queryset.filter(replies__published_at__isnull=False).distinct()
        if kept.exists():
            self.message_user(
                request,
                _("有 %(count)d 件提案的答复已公开过，不能删除。") % {"count": kept.count()},
                messages.ERROR,
            )
        super().delete_queryset(request, queryset.exclude(pk__in=kept.values("pk")))


CLASS_DOUBT_REASONS = {
    A_ALL_FUTURE: _("A类答复未说明任何已完成的工作，所述均为今后的打算："),
    FIRM_DATED_PROMISES: _("留作参考或不予采纳的答复中有明确期限的具体承诺："),
}


class ClassDoubtFilter(admin.SimpleListFilter):
    """类别存疑: the class check (``replies.parsing.class_check``) found the class at odds
    with the letter."""

    title = _("类别存疑")
    parameter_name = "class_doubt"

    def lookups(self, request, model_admin):
        return [("yes", _("类别存疑")), ("no", _("未发现矛盾"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(class_doubt="")
        if self.value() == "no":
            return queryset.filter(class_doubt="")
        return queryset


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
    readonly_fields = [
        "publication_state",
        "class_check",
        "personal_data",
        "satisfaction",
        "satisfaction_comment",
        "rated_at",
        "created_at",
        "updated_at",
    ]
    actions = ["publish", "withdraw"]

    def has_publish_permission(self, request):
        return can_publish(request.user)

    def has_delete_permission(self, request, obj=None):
        # Drafts may be deleted; a reply that was ever published only withdrawn.
        if obj is not None and obj.was_published:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("已公开"), boolean=True)
    def is_published(self, obj: Reply) -> bool:
        return obj.is_published

    @admin.display(description=_("公开状态"))
    def publication_state(self, obj: Reply) -> str:
        if obj.is_withdrawn:
            return _("已于 %(when)s 撤回：%(reason)s") % {
                "when": timezone.localtime(obj.withdrawn_at).strftime("%Y-%m-%d %H:%M"),
                "reason": obj.withdrawn_reason,
            }
        if obj.is_published:
            return _("已于 %(when)s 公开") % {
                "when": timezone.localtime(obj.published_at).strftime("%Y-%m-%d %H:%M")
            }
        return _("草稿（只有提案委可以公开：在答复列表中选中后“公开所选答复”）")

    def get_list_filter(self, request):
        # The class check is the proposal office's (it decides the class).
        filters = list(super().get_list_filter(request))
        return [*filters, ClassDoubtFilter] if is_office(request.user) else filters

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if is_office(request.user) else [f for f in fields if f != "class_check"]

    @admin.display(description=_("类别存疑"))
    def class_check(self, obj: Reply):
        """Why the class is doubtful and the statements that contradict it, as stored by
        the services (``replies.services.class_check``)."""
        if not obj.class_doubt:
            return _("未发现与类别不符的内容。") if obj.classification else "—"
        return format_html(
            "<p>{}</p><ul>{}</ul>",
            CLASS_DOUBT_REASONS.get(obj.class_doubt, obj.class_doubt),
            format_html_join("", "<li>{}</li>", ((text,) for text in obj.class_doubt_statements)),
        )

    @admin.display(description=_("个人信息"))
    def personal_data(self, obj: Reply):
        if obj.pk is None:
            return "—"
        count = len(privacy.detected(obj))
        decisions = obj.privacy_decisions.count()
        url = reverse("admin:replies_reply_privacy", args=[obj.pk])
        return format_html(
            '{} <a href="{}">{}</a>',
            _("发现 %(count)d 处，公开时隐去；已有 %(decisions)d 项人工处理。")
            % {"count": count, "decisions": decisions},
            url,
            _("查看与处理"),
        )

    def privacy_view(self, request, pk: int):
        """The letter with its personal data marked; the office shows an item after all or
        hides a selection, each choice recorded."""
        reply = self.get_object(request, str(pk))
        if reply is None:
            raise Http404
        if request.method == "POST":
            if not is_office(request.user):
                raise PermissionDenied(_("只有提案委可以决定公开或隐去个人信息。"))
            try:
                privacy.decide(
                    reply=reply,
                    action=request.POST.get("action", ""),
                    text=request.POST.get("text", ""),
                    actor=request.user,
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, _("已记录，公开文本已更新。"), messages.SUCCESS)
            return redirect(reverse("admin:replies_reply_privacy", args=[pk]))
        spans = privacy.detected(reply)
        unmask, mask = privacy.decisions_of(reply)
        return TemplateResponse(
            request,
            "admin/replies/reply/privacy.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("个人信息"),
                "reply": reply,
                "marked": preview.marked(reply.body, spans),
                "items": [
                    {"text": reply.body[span.start : span.end], "label": span.label}
                    for span in spans
                ],
                "unmasked": sorted(unmask),
                "masked": sorted(mask),
                "decisions": reply.privacy_decisions.select_related("decided_by"),
                "public_body": reply.public_body,
                "may_decide": is_office(request.user),
            },
        )

    @admin.action(description=_("公开所选答复"), permissions=["publish"])
    def publish(self, request, queryset):
        replies = [reply for reply in queryset if not reply.is_published]
        for reply in replies:
            publication.publish_reply(reply=reply, actor=request.user)
        self.message_user(
            request,
            ngettext("已公开 %(count)d 件答复。", "已公开 %(count)d 件答复。", len(replies))
            % {"count": len(replies)},
            messages.SUCCESS,
        )

    @admin.action(description=_("撤回所选答复（需说明理由，理由将公开）"), permissions=["publish"])
    def withdraw(self, request, queryset):
        replies = [reply for reply in queryset.select_related("proposal") if reply.is_published]
        form = WithdrawForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for reply in replies:
                publication.withdraw_reply(
                    reply=reply, reason=form.cleaned_data["reason"], actor=request.user
                )
            self.message_user(
                request,
                _("已撤回 %(count)d 件答复；提案页面上显示撤回时间和理由。")
                % {"count": len(replies)},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/replies/reply/withdraw.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("撤回答复"),
                "replies": replies,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def save_model(self, request, obj, form, change):
        if not change:
            publication.create_reply(reply=obj, actor=request.user)
            return
        result = publication.edit_reply(
            reply=obj,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            actor=request.user,
        )
        if isinstance(result, ReplyRevision):
            self.message_user(
                request,
                _("这件答复已经公开：您的修改已作为修订提交，提案委审核后才会公开。"),
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        publication.delete_draft(reply=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        kept = 0
        for reply in queryset:
            if reply.was_published:
                kept += 1
            else:
                publication.delete_draft(reply=reply, actor=request.user)
        if kept:
            self.message_user(
                request,
                _("%(count)d 件已公开过的答复没有删除：公开过的答复只能撤回。") % {"count": kept},
                messages.ERROR,
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/privacy/",
                self.admin_site.admin_view(self.privacy_view),
                name="replies_reply_privacy",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_letter_view),
                name="replies_reply_import",
            ),
            path(
                "import/batch/",
                self.admin_site.admin_view(self.import_batch_view),
                name="replies_reply_import_batch",
            ),
            path(
                "import/batch/<int:pk>/",
                self.admin_site.admin_view(self.import_job_view),
                name="replies_reply_import_job",
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
        clerk_department = self._clerk_department(request)
        if request.method == "POST" and "save" in request.POST:
            letter, _removed = remove_control_characters(request.POST.get("letter", ""))
            parsed = parse_letter(letter, topics=topics)
            view = preview.build(parsed, clerk_department=clerk_department, user=request.user)
            form = LetterPreviewForm(request.POST, committee_choices=view.committee_choices)
            sections = SectionFormSet(request.POST, prefix="sections")
            if form.is_valid() and sections.is_valid():
                edited = form.apply_to(parsed, sections.edited_sections(view.sections))
                try:
                    result = importer.import_letter(
                        text=form.cleaned_data["letter"],
                        parsed=edited,
                        source_url=form.cleaned_data["source_url"],
                        publish=form.cleaned_data["publish"] and can_publish(request.user),
                        force=True,
                        department=clerk_department,
                        committee=preview.committee_from_choice(form.cleaned_data["committee"]),
                        actor=request.user,
                    )
                except (ValidationError, DatabaseError) as error:
                    reason = "；".join(getattr(error, "messages", None) or [str(error)])
                    form.add_error(None, _("保存失败，未作任何修改：%(error)s") % {"error": reason})
                else:
                    count = result.reply.commitments.count()
                    self.message_user(
                        request,
                        _("已保存：%(proposal)s，%(count)d 项承诺。")
                        % {"proposal": result.proposal, "count": count},
                        messages.SUCCESS,
                    )
                    return redirect(reverse("admin:replies_reply_change", args=[result.reply.pk]))
            return self._render_preview(request, context, form, sections, parsed, view)
        if request.method == "POST":
            source = LetterSourceForm(request.POST, request.FILES)
            if source.is_valid():
                letter, removed = remove_control_characters(source.cleaned_data["letter"])
                parsed = parse_letter(letter, topics=topics)
                view = preview.build(parsed, clerk_department=clerk_department, user=request.user)
                if removed:
                    view.warnings.append(
                        _("已删除原文中的 %(count)d 个控制字符（不可见的特殊字符）。")
                        % {"count": removed}
                    )
                form = LetterPreviewForm(
                    initial=LetterPreviewForm.initial_from(
                        parsed,
                        letter=letter,
                        source_url=source.cleaned_data["source_url"],
                        publish=source.cleaned_data["publish"] and view.publish_by_default,
                        committee=view.committee_initial,
                    ),
                    committee_choices=view.committee_choices,
                )
                by_key = {topic.key: topic for topic in Topic.objects.all()}
                sections = SectionFormSet(
                    initial=[
                        SectionForm.initial_from(section, by_key) for section in view.sections
                    ],
                    prefix="sections",
                )
                return self._render_preview(request, context, form, sections, parsed, view)
        else:
            source = LetterSourceForm(initial={"publish": can_publish(request.user)})
        if not can_publish(request.user):
            source.fields["publish"].disabled = True
        return TemplateResponse(
            request, "admin/replies/import_letter.html", {**context, "source": source}
        )

    def import_batch_view(self, request):
        """Many letters at once: stored, then imported in the background (``replies.tasks``);
        the page lists the user's recent batches."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        self._clerk_department(request)  # a clerk without a department may not import
        if request.method == "POST":
            form = BatchImportForm(request.POST, request.FILES)
            if form.is_valid():
                job = jobs.submit(
                    files=form.cleaned_data["files"],
                    actor=request.user,
                    publish=form.cleaned_data["publish"],
                    committee=form.cleaned_data["committee"],
                    unknown_committee=form.cleaned_data["unknown_committee"],
                )
                return redirect(reverse("admin:replies_reply_import_job", args=[job.pk]))
        else:
            form = BatchImportForm(initial={"publish": False})
        if not can_publish(request.user):
            form.fields["publish"].disabled = True
            form.fields["publish"].help_text = _("只有提案委可以公开答复；保存为草稿。")
        recent = ImportJob.objects.visible_to(request.user).select_related("created_by")[:20]
        return TemplateResponse(
            request,
            "admin/replies/import_batch.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("批量导入答复函"),
                "form": form,
                "recent": recent,
                "single_url": reverse("admin:replies_reply_import"),
            },
        )

    def import_job_view(self, request, pk: int):
        """One batch's progress (the page reloads itself until the batch is done) and each
        letter's outcome, linked to the reply it made."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        job = (
            ImportJob.objects.visible_to(request.user)
            .select_related("created_by", "committee")
            .filter(pk=pk)
            .first()
        )
        if job is None:
            raise Http404(_("没有这个导入任务。"))
        readable = set(
            Reply.objects.visible_to(request.user)
            .filter(pk__in=[row.get("reply") for row in job.results if row.get("reply")])
            .values_list("pk", flat=True)
        )
        outcomes = dict(OUTCOME_LABELS)
        rows = [
            {
                **row,
                "label": outcomes.get(row.get("outcome"), row.get("outcome")),
                "url": reverse("admin:replies_reply_change", args=[row["reply"]])
                if row.get("reply") in readable
                else "",
            }
            for row in job.results
        ]
        return TemplateResponse(
            request,
            "admin/replies/import_job.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("批量导入进度"),
                "job": job,
                "rows": rows,
            },
        )

    def _clerk_department(self, request) -> Department | None:
        """A clerk's letters are always their own department's, whatever the signature says."""
        if is_office(request.user):
            return None
        department = department_of(request.user)
        if department is None:
            raise PermissionDenied
        return Department.objects.get(pk=department)

    def _render_preview(self, request, context, form, sections, parsed, view):
        if not can_publish(request.user):
            form.fields["publish"].disabled = True
            form.fields["publish"].help_text = _("只有提案委可以公开答复；保存为草稿。")
        if self._clerk_department(request) is not None:
            form.fields["agency"].disabled = True
            form.fields["agency"].help_text = _("承办单位经办人导入的答复函都属于本单位。")
        read = {section.number: section for section in view.sections}
        rows = []
        for section_form in sections.forms:
            try:
                section = read.get(int(section_form["original"].value()))
            except (TypeError, ValueError):
                section = None
            status = CommitmentStatus(section.suggested_status).label if section else ""
            rows.append((section, section_form, status))
        return TemplateResponse(
            request,
            "admin/replies/import_letter.html",
            {
                **context,
                "form": form,
                "sections": sections,
                "rows": rows,
                "parsed": parsed,
                "preview": view,
                "department_names": Department.objects.order_by("name").values_list(
                    "name", flat=True
                )[:3000],
            },
        )


class TargetInline(admin.TabularInline):
    """What a commitment promises in figures. Achieved values come from progress reports
    (the staff progress page); due dates follow the commitment's."""

    model = Target
    extra = 0
    fields = ["text", "quantity", "unit", "due_on", "achieved"]
    readonly_fields = ["due_on", "achieved"]

    def _published(self, obj) -> bool:
        return obj is not None and obj.reply.was_published

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (
            not self._published(obj) or is_office(request.user)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            not self._published(obj) or is_office(request.user)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._published(obj)


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
    # Required on every edit (the add form has no version yet): an edit without it is
    # refused by the service, as a stale one is.

    class Meta:
        model = CommitmentItem
        fields = [
            "reply",
            "number",
            "marker",
            "heading",
            "text",
            "topic",
            "owner",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded is None:
            raise forms.ValidationError(
                _("缺少版本信息，无法确认您看到的是最新内容：请重新打开这一页再修改。"),
                code="version",
            )
        if self.instance.pk:
            try:
                # The admin's change view runs in a transaction: the lock holds until saved.
                progress.lock_version(commitment=self.instance, expected_version=loaded)
            except progress.StaleEditError as error:
                raise forms.ValidationError(error.messages[0], code="stale") from error
        return cleaned


class OverdueFilter(admin.SimpleListFilter):
    """已逾期: as ``CommitmentItemQuerySet.overdue`` says (due date passed, not fulfilled)."""

    title = _("是否逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已逾期")), ("no", _("未逾期"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.overdue().values("pk"))
        return queryset


# What the parser calls each statement (replies.parsing: done / ongoing / planned).
MODALITY_LABELS = {"done": _("已完成"), "ongoing": _("进行中"), "planned": _("计划")}


@admin.register(CommitmentItem)
class CommitmentItemAdmin(AccessScopedMixin, SimpleHistoryAdmin):
    form = CommitmentItemForm
    list_display = ["__str__", "reply_proposal", "owner", "topic", "due_on", "status", "progress"]
    list_filter = [
        "status",
        OverdueFilter,
        "topic",
        "owner",
        ("reply__proposal__session", SessionFilter),
    ]
    list_select_related = ["reply__proposal__session", "owner", "topic"]
    search_fields = ["heading", "text", "reply__proposal__title", "reply__proposal__number"]
    autocomplete_fields = ["reply", "topic", "owner"]
    date_hierarchy = "due_on"
    inlines = [TargetInline, CommitmentUpdateInline]
    readonly_fields = [
        "deadline",
        "promised_on",
        "statement_list",
        "status",
        "progress",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("承诺语句"))
    def statement_list(self, obj: CommitmentItem):
        """The parser's statements as a list people read, not raw JSON: each with what it
        is (已完成/进行中/计划) and its deadline."""
        if not obj.statements:
            return _("（无）")
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{}（{}{}）</li>",
                (
                    (
                        statement.get("text", ""),
                        MODALITY_LABELS.get(statement.get("modality"), statement.get("modality")),
                        gettext("，期限 %(date)s") % {"date": statement["deadline"]}
                        if statement.get("deadline")
                        else "",
                    )
                    for statement in obj.statements
                ),
            ),
        )

    @admin.display(description=_("完成期限"))
    def deadline(self, obj: CommitmentItem):
        if obj.pk is None:
            return _("保存后可设置期限")
        url = reverse("admin:replies_commitmentitem_deadline", args=[obj.pk])
        label = obj.due_on.isoformat() if obj.due_on else _("未定")
        action = _("申请变更期限") if obj.reply.was_published else _("修改期限")
        return format_html('{} <a href="{}">{}</a>', label, url, action)

    @admin.display(description=_("提案"), ordering="reply__proposal__number")
    def reply_proposal(self, obj: CommitmentItem) -> str:
        return str(obj.reply.proposal)

    def get_urls(self):
        return [
            path(
                "<int:pk>/deadline/",
                self.admin_site.admin_view(self.deadline_view),
                name="replies_commitmentitem_deadline",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        if not change:
            publication.create_commitment(commitment=obj, actor=request.user)
            return
        result = publication.edit_commitment(
            commitment=obj,
            changes={
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name != "loaded_version"
            },
            expected_version=form.cleaned_data.get("loaded_version"),
            actor=request.user,
        )
        if isinstance(result, ReplyRevision):
            self.message_user(
                request,
                _("这项承诺已经公开：您的修改已作为修订提交，提案委审核后才会公开。"),
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        publication.delete_commitment(commitment=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.reply.was_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Target:
            instances = formset.save(commit=False)
            publication.save_targets(
                commitment=form.instance,
                saved=instances,
                deleted=formset.deleted_objects,
                actor=request.user,
            )
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

    def deadline_view(self, request, pk: int):
        """Change a draft's due date, or ask the office to change a published one."""
        commitment = self.get_object(request, str(pk))
        if commitment is None:
            raise Http404
        if not self.has_change_permission(request, commitment):
            raise PermissionDenied
        published = commitment.reply.was_published
        form = DeadlineForm(
            request.POST or None,
            initial={"version": commitment.version, "new_due": commitment.due_on},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if published:
                    deadlines.request_change(
                        commitment=commitment,
                        new_due=data["new_due"],
                        reason=data["reason"],
                        actor=request.user,
                    )
                    message = _("期限变更申请已提交，提案委批准后生效并公开。")
                else:
                    deadlines.set_draft_due(
                        commitment=commitment,
                        due_on=data["new_due"],
                        expected_version=data["version"],
                        actor=request.user,
                    )
                    message = _("期限已修改。")
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect(reverse("admin:replies_commitmentitem_change", args=[pk]))
        return TemplateResponse(
            request,
            "admin/replies/commitmentitem/deadline.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("申请变更期限") if published else _("修改期限"),
                "commitment": commitment,
                "published": published,
                "changes": commitment.deadline_changes.order_by("requested_at"),
                "form": form,
            },
        )


@admin.register(DeadlineChange)
class DeadlineChangeAdmin(AccessScopedMixin, admin.ModelAdmin):
    """Requests to move a published commitment's due date; the office decides."""

    list_display = [
        "commitment",
        "old_due",
        "new_due",
        "status",
        "requested_by",
        "requested_at",
        "decided_at",
    ]
    list_filter = ["status"]
    list_select_related = ["commitment", "requested_by"]
    search_fields = ["commitment__heading", "reason"]
    readonly_fields = [
        "commitment",
        "old_due",
        "new_due",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    actions = ["approve", "approve_earlier", "reject"]

    def has_add_permission(self, request):
        return False  # asked for from the commitment's page, with its current version

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return is_office(request.user)

    def _decide(self, request, queryset, decide, done_message):
        count = 0
        for change in queryset.filter(status=DeadlineChange.Status.PENDING):
            try:
                decide(change)
            except ValidationError as error:
                self.message_user(request, f"{change}：{' '.join(error.messages)}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done_message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("批准所选期限变更"), permissions=["decide"])
    def approve(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda change: deadlines.approve_change(change=change, actor=request.user),
            _("已批准 %(count)d 项期限变更，公开页面同时显示原期限和新期限。"),
        )

    @admin.action(description=_("批准所选期限变更（允许提前）"), permissions=["decide"])
    def approve_earlier(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda change: deadlines.approve_change(
                change=change, actor=request.user, allow_earlier=True
            ),
            _("已批准 %(count)d 项期限变更。"),
        )

    @admin.action(description=_("不批准所选期限变更"), permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda change: deadlines.reject_change(change=change, actor=request.user),
            _("已驳回 %(count)d 项期限变更。"),
        )


@admin.register(ReplyRevision)
class ReplyRevisionAdmin(AccessScopedMixin, admin.ModelAdmin):
    """Clerks' corrections to published replies, shown to the office as a diff."""

    list_display = ["reply", "status", "created_by", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["reply", "created_by"]
    search_fields = ["reply__title", "reply__proposal__title"]
    readonly_fields = [
        "reply",
        "status",
        "created_by",
        "created_at",
        "decided_by",
        "decided_at",
        "diff",
    ]
    fields = readonly_fields
    actions = ["publish", "reject"]

    @admin.display(description=_("修改内容（原文 → 修订）"))
    def diff(self, obj: ReplyRevision):
        rows = publication.revision_diff(obj)
        return format_html_join(
            "",
            '<p><strong>{} · {}</strong></p><pre class="revision-old">{}</pre>'
            '<pre class="revision-new">{}</pre>',
            ((row["where"], row["field"], row["old"], row["new"]) for row in rows),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return is_office(request.user)

    @admin.action(description=_("公开所选修订"), permissions=["decide"])
    def publish(self, request, queryset):
        count = 0
        for revision in queryset.filter(status=ReplyRevision.Status.PENDING):
            publication.publish_revision(revision=revision, actor=request.user)
            count += 1
        self.message_user(
            request, _("已公开 %(count)d 份修订。") % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=_("不采纳所选修订"), permissions=["decide"])
    def reject(self, request, queryset):
        count = 0
        for revision in queryset.filter(status=ReplyRevision.Status.PENDING):
            publication.reject_revision(revision=revision, actor=request.user)
            count += 1
        self.message_user(
            request, _("已驳回 %(count)d 份修订。") % {"count": count}, messages.SUCCESS
        )


@admin.register(Target)
class TargetAdmin(AccessScopedMixin, admin.ModelAdmin):
    list_display = ["text", "commitment", "quantity", "unit", "achieved", "due_on"]
    list_select_related = ["commitment"]
    search_fields = ["text", "commitment__heading"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "due_on"
    readonly_fields = ["due_on", "achieved"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.commitment.reply.was_published and not is_office(request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.commitment.reply.was_published:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        publication.save_targets(
            commitment=obj.commitment, saved=[obj], deleted=[], actor=request.user
        )

    def delete_model(self, request, obj):
        publication.save_targets(
            commitment=obj.commitment, saved=[], deleted=[obj], actor=request.user
        )


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
