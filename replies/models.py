"""What was answered and what was promised."""

import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.roles import Role, department_of, is_office, role_of
from proposals.models import Department, Proposal, Topic
from replies.parsing.targets import plain_number, target_phrase


class ReadableJSONEncoder(DjangoJSONEncoder):
    """Keeps Chinese as it is rather than as \\uXXXX escapes: half the bytes, and
    every escape's backslash would be escaped again in a bulk insert's array literal."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Classification(models.TextChoices):
    """Handling class (办理结果) stated in a reply letter."""

    A = "A", _("A类（已解决或采纳）")
    B = "B", _("B类（正在解决或列入计划）")
    C = "C", _("C类（因条件限制留作参考）")
    D = "D", _("D类（不予采纳或说明解释）")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CommitmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    FULFILLED = "fulfilled", _("已完成")
    PARTIAL = "partial", _("部分完成")
    NOT_FULFILLED = "not_fulfilled", _("未完成")


def published_q(prefix: str = "") -> Q:
    """The condition for a published reply, withdrawn ones excluded (``prefix`` is the path
    to the reply)."""
    return Q(**{f"{prefix}published_at__isnull": False, f"{prefix}withdrawn_at__isnull": True})


class ReplyQuerySet(models.QuerySet):
    def published(self) -> "ReplyQuerySet":
        return self.filter(published_q())

    def drafts(self) -> "ReplyQuerySet":
        return self.filter(published_at__isnull=True)

    def withdrawn(self) -> "ReplyQuerySet":
        return self.filter(published_at__isnull=False, withdrawn_at__isnull=False)

    def visible_to(self, user) -> "ReplyQuerySet":
        """What ``user`` may read: published replies, plus the drafts of a clerk's own
        department and of a member's own proposals; the office reads everything. Fails
        closed: a clerk without a department, or a staff user in no group, reads what the
        public reads."""
        return self.filter(_reply_visible(user, ""))

    def editable_by(self, user) -> "ReplyQuerySet":
        """What ``user`` works on in the admin: everything for the office, their own
        department's replies for a clerk, nothing for anyone else."""
        return self.filter(_reply_editable(user, "department"))


class Reply(models.Model):
    class Role(models.TextChoices):
        ANSWER = "answer", _("答复")
        CO_OPINION = "co_opinion", _("会办意见")

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="replies", verbose_name=_("提案")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="replies", verbose_name=_("答复单位")
    )
    role = models.CharField(_("答复类型"), max_length=16, choices=Role.choices, default=Role.ANSWER)
    title = models.CharField(_("答复函标题"), max_length=300, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    index_number = models.CharField(_("索引号"), max_length=100, blank=True)
    letter_date = models.DateField(_("答复日期"), null=True, blank=True)
    # The date the source web page gives for its own publication (公开日期/发布日期), as
    # the parser reads it: the disclosure block's 公开日期. Never the import date.
    source_published_on = models.DateField(
        _("原网页公开日期"),
        null=True,
        blank=True,
        help_text=_("来源网页标注的公开日期；未注明时为空。"),
    )
    body = models.TextField(_("正文"))
    # What the public reads: the body with personal data masked (services.privacy keeps it
    # in step with the body and the office's decisions). Staff see ``body``.
    public_body = models.TextField(_("公开正文"), blank=True, editable=False)
    classification = models.CharField(
        _("办理结果类别"), max_length=1, choices=Classification.choices, blank=True
    )
    published_at = models.DateTimeField(
        _("公开时间"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("空表示草稿。只由公开服务写入：提案委在答复列表中“公开所选答复”。"),
    )
    # A published reply is never deleted: the office withdraws it, with a reason that the
    # proposal's page shows in its place.
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(_("撤回理由"), blank=True, editable=False)
    source_url = models.URLField(_("来源网址"), max_length=500, blank=True)
    source_hash = models.CharField(
        _("原文指纹"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("导入原文的 SHA-256，用于识别重复导入。"),
    )
    satisfaction = models.CharField(
        _("满意度"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    satisfaction_comment = models.TextField(_("满意度意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    # The class check (``replies.parsing.class_check``), kept current by the services that
    # write the body or the class: why the class is doubtful ("" when it agrees with the
    # letter) and the statements that contradict it. For the proposal office, never public.
    class_doubt = models.CharField(_("类别存疑"), max_length=32, blank=True, editable=False)
    class_doubt_statements = models.JSONField(
        _("与类别不符的语句"),
        default=list,
        blank=True,
        editable=False,
        encoder=ReadableJSONEncoder,
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("取代的答复"),
        help_text=_("退回重办后的新答复指向原答复，原答复保留在历史中。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "source_hash",
            "public_body",
            "class_doubt",
            "class_doubt_statements",
        ]
    )

    objects = ReplyQuerySet.as_manager()

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        # Newest letter first, an undated one after every dated one (PostgreSQL puts NULLs
        # first in a descending order unless told).
        ordering = [models.F("letter_date").desc(nulls_last=True), "-pk"]
        permissions = [("publish_reply", _("可以公开答复"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(classification__in=["", "A", "B", "C", "D"]),
                name="reply_classification_valid",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=["", "satisfied", "basically", "unsatisfied"]),
                name="reply_satisfaction_valid",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["answer", "co_opinion"]), name="reply_role_valid"
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=models.F("pk")), name="reply_not_self_superseding"
            ),
        ]
        indexes = [
            models.Index(fields=["published_at"], name="reply_published_idx"),
            # The dashboard's oldest open commitments walk replies by letter date.
            models.Index(fields=["letter_date", "id"], name="reply_letter_date_idx"),
            models.Index(fields=["index_number"], name="reply_index_number_idx"),
        ]

    def __str__(self) -> str:
        label = self.title or f"{self.department}的答复"
        return label if len(label) <= 60 else label[:59] + "…"

    def get_absolute_url(self) -> str:
        return f"{self.proposal.get_absolute_url()}#reply-{self.pk}"

    @property
    def is_published(self) -> bool:
        """Public now: published and not withdrawn."""
        return self.published_at is not None and self.withdrawn_at is None

    @property
    def was_published(self) -> bool:
        """Published at some time (withdrawn or not): such a reply is never deleted."""
        return self.published_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def _reply_visible(user, prefix: str) -> Q:
    role = role_of(user)
    if role == Role.OFFICE:
        return Q()
    condition = published_q(prefix)
    department = department_of(user)
    if department is not None:
        condition |= Q(**{f"{prefix}department": department})
    if role == Role.MEMBER:
        condition |= Q(**{f"{prefix}proposal__in": Proposal.objects.filter(proposers__user=user)})
    return condition


def _reply_editable(user, department_path: str) -> Q:
    """Everything for the office, a clerk's own department's rows, nothing otherwise (a Q
    that matches nothing for a clerk without a department)."""
    if is_office(user):
        return Q()
    department = department_of(user)
    if department is None:
        return Q(pk__in=[])
    return Q(**{department_path: department})


class CommitmentItemQuerySet(models.QuerySet):
    def public(self) -> "CommitmentItemQuerySet":
        return self.filter(published_q("reply__"))

    def visible_to(self, user) -> "CommitmentItemQuerySet":
        """The commitments of the replies ``user`` may read, and a clerk's department's own."""
        condition = _reply_visible(user, "reply__")
        department = department_of(user)
        if department is not None:
            condition |= Q(owner=department)
        return self.filter(condition)

    def editable_by(self, user) -> "CommitmentItemQuerySet":
        """Everything for the office; the commitments a clerk's department owns."""
        return self.filter(_reply_editable(user, "owner"))

    def overdue(self, today: datetime.date | None = None) -> "CommitmentItemQuerySet":
        """Due date passed and not fulfilled: derived, never stored."""
        today = today or timezone.localdate()
        return self.filter(due_on__lt=today).exclude(status=CommitmentStatus.FULFILLED)

    def open(self) -> "CommitmentItemQuerySet":
        return self.exclude(status=CommitmentStatus.FULFILLED)


class CommitmentItem(models.Model):
    """One numbered section of a reply letter, tracked as a promise."""

    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("答复")
    )
    number = models.PositiveSmallIntegerField(_("序号"))
    marker = models.CharField(_("序号原文"), max_length=20, blank=True)
    heading = models.CharField(_("小标题"), max_length=300, blank=True)
    text = models.TextField(_("内容"))
    public_text = models.TextField(_("公开内容"), blank=True, editable=False)
    derived = models.BooleanField(
        _("由承诺语句归纳"),
        default=False,
        help_text=_("答复函没有编号的部分时，按含有承诺的段落归纳出的承诺事项。"),
    )
    promises = models.JSONField(
        _("承诺"),
        default=list,
        blank=True,
        encoder=ReadableJSONEncoder,
        help_text=_("这一部分中对今后工作的承诺：原文、期限、量化指标、是否具体可查。"),
    )
    statements = models.JSONField(
        _("承诺语句"),
        default=list,
        blank=True,
        encoder=ReadableJSONEncoder,
        help_text=_("解析出的语句：文本、性质（已完成/进行中/计划）与期限。"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitments",
        verbose_name=_("主题"),
    )
    owner = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("责任单位"),
    )
    due_on = models.DateField(
        _("完成期限"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("当前期限：公开后只能经提案委批准的期限变更修改。"),
    )
    # The date first promised in public, kept when an approved change moves ``due_on``:
    # the public page shows both, and keeping a promise is judged against each.
    promised_on = models.DateField(_("原承诺期限"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.NOT_STARTED,
    )
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    # Bumped on every save: two staff editing at once cannot silently overwrite each other.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "version", "public_text"])

    objects = CommitmentItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("承诺事项")
        verbose_name_plural = _("承诺事项")
        ordering = ["reply_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "number"], name="uniq_commitment_number_per_reply"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="commitment_number_positive"),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100), name="commitment_progress_0_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice for choice, _label in CommitmentStatus.choices]),
                name="commitment_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="commitment_status_due_idx"),
            # The public list's order (due date, nulls last): a page is read off the index.
            models.Index(fields=["due_on", "id"], name="commitment_due_idx"),
            # Overdue lists: open commitments in due-date order, read until the page is full.
            models.Index(
                fields=["due_on", "id"],
                condition=~Q(status="fulfilled"),
                name="commitment_open_due_idx",
            ),
            models.Index(fields=["owner", "status"], name="commitment_owner_status_idx"),
            # The public list's other orders (latest change, progress): a page off an index.
            models.Index(fields=["updated_at", "id"], name="commitment_updated_idx"),
            models.Index(fields=["progress", "id"], name="commitment_progress_idx"),
        ]

    def __str__(self) -> str:
        label = self.heading or self.text
        label = label if len(label) <= 40 else label[:39] + "…"
        return f"{self.marker or self.number} {label}"

    def get_absolute_url(self) -> str:
        return f"{self.reply.proposal.get_absolute_url()}#commitment-{self.pk}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (
            self.due_on is not None
            and self.due_on < today
            and self.status != CommitmentStatus.FULFILLED
        )


class ReplyPartQuerySet(models.QuerySet):
    """Rows that belong to a reply (its revisions): visible and editable with it."""

    def visible_to(self, user) -> "ReplyPartQuerySet":
        return self.filter(reply__in=Reply.objects.visible_to(user).values("pk"))

    def editable_by(self, user) -> "ReplyPartQuerySet":
        return self.filter(_reply_editable(user, "reply__department"))


class CommitmentPartQuerySet(models.QuerySet):
    """Targets, updates and reminders: visible and editable with their commitment."""

    def visible_to(self, user) -> "CommitmentPartQuerySet":
        return self.filter(commitment__in=CommitmentItem.objects.visible_to(user).values("pk"))

    def editable_by(self, user) -> "CommitmentPartQuerySet":
        return self.filter(_reply_editable(user, "commitment__owner"))


class Target(models.Model):
    """A quantitative promise inside a commitment (新增省级孵化器20家)."""

    commitment = models.ForeignKey(
        CommitmentItem, on_delete=models.CASCADE, related_name="targets", verbose_name=_("承诺事项")
    )
    text = models.CharField(_("指标"), max_length=300)
    quantity = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    due_on = models.DateField(_("期限"), null=True, blank=True, editable=False)
    achieved = models.DecimalField(
        _("已完成值"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    objects = CommitmentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("量化指标")
        verbose_name_plural = _("量化指标")
        ordering = ["commitment_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="target_quantity_positive"),
            models.CheckConstraint(
                condition=Q(achieved__isnull=True) | Q(achieved__gte=0),
                name="target_achieved_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text}（{plain_number(self.quantity)}{self.unit}）"

    @property
    def percent(self) -> int:
        if self.achieved is None:
            return 0
        return max(0, min(100, int(self.achieved * 100 / self.quantity)))

    @property
    def what(self) -> str:
        """What is promised, without its amount: 新增省级科技企业孵化器."""
        return target_phrase(self.text, self.quantity, self.unit)[0]

    @property
    def amount(self) -> str:
        """The amount as the letter writes it: 20家, 260万平方米以上."""
        return target_phrase(self.text, self.quantity, self.unit)[1]

    @property
    def achieved_label(self) -> str:
        """The reported value with the unit (12家), or "" when nothing was reported."""
        if self.achieved is None:
            return ""
        return f"{plain_number(self.achieved)}{self.unit}"


class CommitmentUpdate(models.Model):
    """Append-only progress report; the latest one decides the commitment's status."""

    commitment = models.ForeignKey(
        CommitmentItem, on_delete=models.CASCADE, related_name="updates", verbose_name=_("承诺事项")
    )
    date = models.DateField(_("日期"))
    status = models.CharField(_("状态"), max_length=16, choices=CommitmentStatus.choices)
    note = models.TextField(_("进展说明"), blank=True)
    evidence_url = models.URLField(_("佐证链接"), max_length=500, blank=True)
    attachment = models.FileField(_("佐证附件"), upload_to="evidence/%Y/%m/", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commitment_updates",
        verbose_name=_("填报人"),
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    objects = CommitmentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("进展更新")
        verbose_name_plural = _("进展更新")
        ordering = ["commitment_id", "date", "created_at", "pk"]
        get_latest_by = ["date", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[choice for choice, _label in CommitmentStatus.choices]),
                name="update_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["commitment", "-date"], name="update_commitment_date_idx")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_status_display()}"


class Reminder(models.Model):
    """One reminder e-mail per commitment, kind and day: the daily job can run twice."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已逾期")

    commitment = models.ForeignKey(
        CommitmentItem,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("承诺事项"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    sent_on = models.DateField(_("发送日期"))
    recipients = models.TextField(_("收件人"), blank=True)

    objects = CommitmentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "kind", "sent_on"], name="uniq_reminder_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sent_on} {self.get_kind_display()} {self.commitment_id}"


class DeadlineChange(models.Model):
    """期限变更: a published commitment's new due date, requested with a reason and decided
    by the proposal office. Append-only; an approved change moves ``due_on`` and is shown
    on the public page beside the date first promised."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    commitment = models.ForeignKey(
        CommitmentItem,
        on_delete=models.PROTECT,
        related_name="deadline_changes",
        verbose_name=_("承诺事项"),
    )
    old_due = models.DateField(_("原期限"), null=True, blank=True)
    new_due = models.DateField(_("新期限"))
    reason = models.TextField(_("理由"), help_text=_("批准后将在公开页面上显示。"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.TextField(_("审核意见"), blank=True)

    objects = CommitmentPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("期限变更")
        verbose_name_plural = _("期限变更")
        ordering = ["commitment_id", "requested_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]),
                name="deadline_change_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="deadline_change_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["commitment", "status"], name="deadline_change_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment}：{self.old_due or '—'} → {self.new_due}"


class ReplyRevision(models.Model):
    """A correction to a published reply, waiting for the proposal office: the changed
    fields of the reply and of its commitments. Until the office publishes it the public
    keeps the published text; publishing applies it through the publication service."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        PUBLISHED = "published", _("已公开")
        REJECTED = "rejected", _("未采纳")

    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("答复")
    )
    # {"reply": {field: new value}, "commitments": {"<pk>": {field: new value}}}
    changes = models.JSONField(_("修改内容"), default=dict, encoder=ReadableJSONEncoder)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = ReplyPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("答复修订")
        verbose_name_plural = _("答复修订")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply"],
                condition=Q(status="pending"),
                name="one_pending_revision_per_reply",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reply}（{self.get_status_display()}）"


class PersonalDataDecision(models.Model):
    """The office's choice about personal data in a reply: show a detected item after all
    (unmask), or hide a selection the detector missed (mask). Recorded, never edited; the
    public text follows the decisions (services.privacy)."""

    class Action(models.TextChoices):
        MASK = "mask", _("隐去")
        UNMASK = "unmask", _("显示")

    reply = models.ForeignKey(
        Reply, on_delete=models.CASCADE, related_name="privacy_decisions", verbose_name=_("答复")
    )
    action = models.CharField(_("处理"), max_length=8, choices=Action.choices)
    text = models.CharField(_("文字"), max_length=200)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("决定人"),
    )
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    objects = ReplyPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人信息处理")
        verbose_name_plural = _("个人信息处理")
        ordering = ["reply_id", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["mask", "unmask"]), name="privacy_decision_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}：{self.text}"


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ImportJobQuerySet":
        """The office reads every batch; a clerk the batches of their own department; nobody
        else any (a clerk without a department: none)."""
        role = role_of(user)
        if role == Role.OFFICE:
            return self
        if role == Role.CLERK and (department := department_of(user)) is not None:
            return self.filter(department_id=department)
        return self.none()


class ImportJob(models.Model):
    """A batch of uploaded letters imported in the background (``replies.tasks``): the
    admin shows its progress; each letter's outcome is kept here once its upload is gone."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未完成")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # How the letters are filed: as the import command's options.
    publish = models.BooleanField(_("导入后公开"), default=False)
    committee = models.ForeignKey(
        "proposals.Committee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("委员会"),
    )
    unknown_committee = models.BooleanField(_("未注明地区时归入“未注明地区”"), default=False)
    # A clerk's batch: every letter is the clerk's department's, whatever it says.
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办单位"),
    )
    total = models.PositiveIntegerField(_("文件数"), default=0)
    processed = models.PositiveIntegerField(_("已处理"), default=0)
    imported = models.PositiveIntegerField(_("新导入"), default=0)
    updated = models.PositiveIntegerField(_("已更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    # [{"name", "outcome", "reason", "warnings", "reply"}] in upload order.
    results = models.JSONField(_("结果"), default=list, blank=True, encoder=ReadableJSONEncoder)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("批量导入")
        verbose_name_plural = _("批量导入")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        return 100 * self.processed // self.total if self.total else 100

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportUpload(models.Model):
    """One uploaded letter waiting for its batch: kept in the database (every web node and
    worker reads it, no shared disk needed) and deleted once it has been imported."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="uploads")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="uniq_upload_position")
        ]

    def __str__(self) -> str:
        return self.name


class Tally(models.Model):
    """Roll-ups of the public data (``replies.services.rollups``), kept current by the
    services in each write's transaction, at six levels: a (committee, session,
    department) cell, and its sums by session, by committee and department, by committee,
    by department and overall — 0 stands for "all". The home page, the dashboard and the
    commitment counts read a few rows instead of every commitment in scope.

    Overdue is counted as of ``TallyState.as_of``; readers add the open commitments that
    fell due since (a day's worth, read from an index: see ``rollups.overdue_since``)."""

    committee_id = models.BigIntegerField(default=0)
    session_id = models.BigIntegerField(default=0)
    department_id = models.BigIntegerField(default=0)
    # Public commitments (of published replies, withdrawn ones excluded), by owner.
    commitments = models.PositiveIntegerField(default=0)
    not_started = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    fulfilled = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0)
    not_fulfilled = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    # ... and of the overdue ones, by status (fulfilled is never overdue).
    overdue_not_started = models.PositiveIntegerField(default=0)
    overdue_in_progress = models.PositiveIntegerField(default=0)
    overdue_partial = models.PositiveIntegerField(default=0)
    overdue_not_fulfilled = models.PositiveIntegerField(default=0)
    progress_sum = models.BigIntegerField(default=0)
    # Published replies, by replying department: all of them, then the current answers
    # (co-handlers' opinions and superseded letters left out) the rates count.
    public_replies = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    due_known = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    classified = models.PositiveIntegerField(default=0)
    class_a = models.PositiveIntegerField(default=0)
    class_b = models.PositiveIntegerField(default=0)
    class_c = models.PositiveIntegerField(default=0)
    class_d = models.PositiveIntegerField(default=0)
    # Proposals assigned to the department as lead (交办; assigned, replied or closed),
    # public or not: how many have a published answer (办复率), how many are past their
    # reply due date as of ``TallyState.as_of``, and of those how many were answered on
    # or before it (按时办复率; the due date includes approved extensions).
    assigned = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    due_passed = models.PositiveIntegerField(default=0)
    replied_on_time = models.PositiveIntegerField(default=0)
    # 兑现率 (``replies.kept``) of the fulfilled commitments past their due date: on time,
    # on time after an approved extension, late. The other classes are overdue columns:
    # 部分完成 ``overdue_partial``, 未完成 ``overdue_not_fulfilled``, still open the sum of
    # ``overdue_not_started`` and ``overdue_in_progress``.
    kept_on_time = models.PositiveIntegerField(default=0)
    kept_extended = models.PositiveIntegerField(default=0)
    kept_late = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee_id", "session_id", "department_id"], name="uniq_tally_cell"
            )
        ]
        indexes = [
            models.Index(fields=["department_id", "session_id"], name="tally_department"),
        ]

    def __str__(self) -> str:
        return f"{self.committee_id}/{self.session_id}/{self.department_id}"


class TallyState(models.Model):
    """The one row saying as of which day ``Tally.overdue`` counts; its lock serialises
    the writers of the tallies."""

    as_of = models.DateField()
    # Set by a migration that adds tally columns: the post-migrate hook recounts everything
    # (a writer that ran in between does not make the rebuild look done).
    rebuild_needed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.as_of.isoformat()
