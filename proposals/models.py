"""What was proposed and who must answer it."""

import datetime
import logging
import re

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.numerals import int_to_cn as to_chinese
from core.roles import Role, department_of, is_office, role_of
from core.versioning import pages_changed

logger = logging.getLogger(__name__)

_UNSAFE_IN_URL = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]+")

# Names the letter import makes up when a letter names no region or no department. They
# are placeholders, not facts: pages show them as 未注明 and filters do not offer them.
UNNAMED_REGION = "未注明地区"  # + 政协 / 人大
UNNAMED_DEPARTMENT = "未注明承办单位"


def is_placeholder_name(name: str) -> bool:
    """Whether a committee's or department's name is one the import made up."""
    return name == UNNAMED_DEPARTMENT or name.startswith(UNNAMED_REGION)


def number_slug(number: str) -> str:
    """A proposal number as a URL part: the number as written where it is safe
    (89, D022), other characters as hyphens (269/2 → 269-2)."""
    folded = number.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return _UNSAFE_IN_URL.sub("-", folded).strip("-")[:40] or "n"


def split_aliases(value: str) -> list[str]:
    """Aliases are typed one per line (or separated by commas or 、)."""
    for separator in (",", "，", "、", ";", "；"):
        value = value.replace(separator, "\n")
    return [alias.strip() for alias in value.splitlines() if alias.strip()]


class CommitteeQuerySet(models.QuerySet):
    def named(self) -> "CommitteeQuerySet":
        """Without the committees the import made up for letters that name no region."""
        return self.exclude(name__startswith=UNNAMED_REGION)


class Committee(models.Model):
    class Kind(models.TextChoices):
        CPPCC = "cppcc", _("政协")
        CONGRESS = "congress", _("人大")

    class Level(models.TextChoices):
        NATIONAL = "national", _("全国")
        PROVINCIAL = "provincial", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.CPPCC)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices, default=Level.CITY)
    slug = models.SlugField(
        _("网址标识"),
        max_length=60,
        allow_unicode=True,
        help_text=_("用于网址，默认与名称相同，例如“临沂市政协”。"),
    )
    aliases = models.TextField(
        _("别名"), blank=True, help_text=_("答复函中可能出现的其他写法，每行一个。")
    )

    objects = CommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("委员会")
        verbose_name_plural = _("委员会")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="uniq_committee_slug"),
            models.CheckConstraint(
                condition=Q(kind__in=["cppcc", "congress"]), name="committee_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)

    @property
    def is_placeholder(self) -> bool:
        return is_placeholder_name(self.name)


class Session(models.Model):
    """A plenary meeting (十五届五次会议). Letters that name none go to a per-year session
    with term and meeting 0, labelled by year, so they still have a home."""

    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("委员会")
    )
    term = models.PositiveSmallIntegerField(_("届"), help_text=_("0 表示答复函未注明届次。"))
    meeting = models.PositiveSmallIntegerField(_("次"), help_text=_("0 表示答复函未注明会次。"))
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["committee__name", "-term", "-meeting", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "term", "meeting"],
                condition=Q(term__gt=0),
                name="uniq_session_per_committee",
            ),
            models.UniqueConstraint(
                fields=["committee", "year"],
                condition=Q(term=0),
                name="uniq_unnamed_session_per_year",
            ),
            models.CheckConstraint(
                condition=Q(term=0, meeting=0, year__isnull=False) | Q(term__gt=0, meeting__gt=0),
                name="session_named_or_dated",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1949, year__lte=2200),
                name="session_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.committee.name}{self.label}"

    @property
    def is_named(self) -> bool:
        return self.term > 0

    @property
    def label(self) -> str:
        if not self.is_named:
            return f"{self.year}年（未注明届次）"
        return f"{to_chinese(self.term)}届{to_chinese(self.meeting)}次会议"

    @property
    def slug(self) -> str:
        return f"{self.term}-{self.meeting}" if self.is_named else str(self.year)


class Proposer(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", _("委员/代表")
        GROUP = "group", _("党派团体/界别")

    name = models.CharField(_("姓名或名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.MEMBER)
    affiliation = models.CharField(_("单位/界别"), max_length=200, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True, help_text=_("答复公开时通知提案人。"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposer",
        verbose_name=_("登录账号"),
        help_text=_("委员登录公众网站后可查看自己提案的答复（含草稿）并评价满意度。"),
    )
    # The member's own choices on /me/ (proposals.services.set_update_notifications and
    # record_member_visit write them): an e-mail on every progress update, and when they
    # last looked, so that the page marks what is new since.
    notify_updates = models.BooleanField(
        _("进展更新时邮件通知"),
        default=False,
        help_text=_("委员在“我的提案”页面自行选择：提案的承诺有新进展时发邮件通知。"),
    )
    # A visit to /me/ starts when the page is opened VISIT_GAP after the last one started:
    # ``seen_before`` is when the visit before began (what is newer is marked new, for the
    # whole visit), ``last_seen_at`` when this one did.
    last_seen_at = models.DateTimeField(
        _("本次查看“我的提案”"), null=True, blank=True, editable=False
    )
    seen_before = models.DateTimeField(
        _("上次查看“我的提案”"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("提案人")
        verbose_name_plural = _("提案人")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="proposer_name_idx")]

    def __str__(self) -> str:
        return self.name


class DepartmentQuerySet(models.QuerySet):
    def editable_by(self, user) -> "DepartmentQuerySet":
        """The office works on every department; a clerk sees only their own in the admin."""
        if is_office(user):
            return self.all()
        department = department_of(user)
        return self.filter(pk=department) if department is not None else self.none()

    def named(self) -> "DepartmentQuerySet":
        """Without the department the import made up for letters that name none."""
        return self.exclude(name=UNNAMED_DEPARTMENT)


class Department(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    aliases = models.TextField(
        _("别名"), blank=True, help_text=_("答复函落款中可能出现的其他写法，每行一个。")
    )
    email = models.EmailField(
        _("电子邮箱"), blank=True, help_text=_("承诺临近期限或逾期时提醒本单位。")
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="uniq_department_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portal:department", kwargs={"pk": self.pk})

    @property
    def alias_list(self) -> list[str]:
        return split_aliases(self.aliases)

    @property
    def is_placeholder(self) -> bool:
        return is_placeholder_name(self.name)


class Topic(models.Model):
    key = models.SlugField(_("标识"), max_length=40)
    name = models.CharField(_("名称"), max_length=50)
    keywords = models.TextField(
        _("关键词"), blank=True, help_text=_("用于自动归类答复各部分，每行一个或以逗号分隔。")
    )

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["key"], name="uniq_topic_key")]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return split_aliases(self.keywords)


class ProposalQuerySet(models.QuerySet):
    def public(self) -> "ProposalQuerySet":
        """Proposals with a published reply: what the public sees (``is_public`` is kept by
        the replies app's indexing service whenever publication changes)."""
        return self.filter(is_public=True)

    def handled_by(self, department_id: int) -> "ProposalQuerySet":
        return self.filter(_handled_by(department_id))

    def visible_to(self, user) -> "ProposalQuerySet":
        """What ``user`` may read: the public proposals, plus a clerk's department's and a
        member's own; the office reads everything. Fails closed: any other user, a clerk
        without a department included, reads what the public reads."""
        role = role_of(user)
        if role == Role.OFFICE:
            return self.all()
        condition = Q(is_public=True)
        department = department_of(user)
        if department is not None:
            condition |= _handled_by(department)
        if role == Role.MEMBER:
            condition |= Q(
                Exists(
                    ProposalProposer.objects.filter(proposal=OuterRef("pk"), proposer__user=user)
                )
            )
        return self.filter(condition)

    def editable_by(self, user) -> "ProposalQuerySet":
        """What ``user`` works on in the admin: everything for the office, the proposals a
        clerk's department handles (as lead or co-handler), nothing for anyone else."""
        if is_office(user):
            return self.all()
        department = department_of(user)
        if department is None:
            return self.none()
        return self.handled_by(department)

    def touch_pages(self) -> int:
        """Move the ``page_version`` of these proposals (their pages changed) and of the
        later ones that list them as 此前相关提案, locking the rows in id order first so
        that writers touching several never deadlock."""
        these = self.values("pk")
        # The pages that list these under 此前相关提案 show their replies' status too.
        shown = Q(pk__in=these) | Q(
            pk__in=RelatedProposal.objects.filter(earlier__in=these).values("proposal_id")
        )
        ids = list(
            Proposal.objects.filter(shown)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        moved = Proposal.objects.filter(pk__in=ids).update(page_version=F("page_version") + 1)
        pages_changed.send(sender=Proposal, ids=ids)
        return moved

    def overdue(self, today: datetime.date | None = None) -> "ProposalQuerySet":
        """Assigned, not yet answered, and past the reply due date."""
        today = today or timezone.localdate()
        return self.filter(status="assigned", reply_due__lt=today)


def _handled_by(department_id: int) -> Q:
    co = Proposal.co_departments.through.objects.filter(
        proposal=OuterRef("pk"), department=department_id
    )
    return Q(lead_department=department_id) | Q(Exists(co))


class Proposal(models.Model):
    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("政协提案")
        SUGGESTION = "suggestion", _("人大代表建议")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ACCEPTED = "accepted", _("已立案")
        MERGED = "merged", _("已并案")
        REFERRED = "referred", _("转意见")
        REJECTED = "rejected", _("不予立案")
        ASSIGNED = "assigned", _("已交办")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("会议")
    )
    number = models.CharField(_("编号"), max_length=30)
    # The number as a URL part, made when the proposal is created and never changed: the
    # number itself stays exactly as the letter writes it (269/2, D022) for display.
    slug = models.CharField(_("网址标识"), max_length=60, editable=False, db_index=False)
    number_stated = models.BooleanField(
        _("编号见于答复函"),
        default=True,
        help_text=_("未注明编号的答复函由系统生成编号，页面显示为“未编号”。"),
    )
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.PROPOSAL)
    title = models.CharField(_("标题"), max_length=300)
    proposers = models.ManyToManyField(
        Proposer,
        through="ProposalProposer",
        related_name="proposals",
        verbose_name=_("提案人"),
        blank=True,
    )
    topics = models.ManyToManyField(
        Topic, related_name="proposals", verbose_name=_("主题"), blank=True
    )
    lead_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="led_proposals",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
    )
    co_departments = models.ManyToManyField(
        Department, related_name="co_proposals", verbose_name=_("协办单位"), blank=True
    )
    status = models.CharField(
        _("办理状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    assigned_on = models.DateField(_("交办日期"), null=True, blank=True)
    reply_due = models.DateField(_("答复期限"), null=True, blank=True)
    is_public = models.BooleanField(
        _("已公开"),
        default=False,
        editable=False,
        help_text=_("有已公开的答复时为是，由系统维护。"),
    )
    replied_on = models.DateField(
        _("最近答复日期"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("最新一件已公开答复的日期，由系统维护。"),
    )
    # The proposal's own text (案由 and numbered 建议), entered by staff; private unless the
    # office ticks ``text_public``, and then published as ``public_text`` (personal data
    # masked). Written only by replies.services.coverage.save_proposal_text.
    text = models.TextField(_("提案原文"), blank=True, editable=False)
    text_public = models.BooleanField(
        _("原文可公开"),
        default=False,
        editable=False,
        help_text=_("勾选后，提案原文（隐去个人信息）与逐条答复对照显示在公开页面上。"),
    )
    public_text = models.TextField(_("公开的提案原文"), blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Overlapping-bigram tokens of the public text (title, proposers, published replies),
    # maintained by proposals.search.reindex_proposals; indexed on PostgreSQL only.
    search_vector = SearchVectorField(null=True, editable=False)
    # The public text was longer than PostgreSQL's index allows: only its beginning is
    # searchable (proposals.search.vector_of); the page says so.
    search_partial = models.BooleanField(_("仅部分可检索"), default=False, editable=False)
    # Moves with every public change to what this proposal's page shows (its replies,
    # commitments, updates, deadlines, ratings, its own fields), in the writer's
    # transaction: the page cache and ETag of this page key on it, so a change elsewhere
    # does not make this page a miss (core.caching.public_page's ``scope``).
    page_version = models.BigIntegerField(_("页面版本"), default=1, editable=False)

    history = HistoricalRecords(
        excluded_fields=[
            "search_vector",
            "search_partial",
            "page_version",
            "public_text",
            "replied_on",
            "is_public",
            "updated_at",
        ]
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("提案")
        verbose_name_plural = _("提案")
        ordering = ["-session__year", "session__committee__name", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "number"], name="uniq_proposal_number_per_session"
            ),
            models.UniqueConstraint(
                fields=["session", "slug"], name="uniq_proposal_slug_per_session"
            ),
            models.CheckConstraint(
                condition=Q(reply_due__isnull=True)
                | Q(assigned_on__isnull=True)
                | Q(reply_due__gte=models.F("assigned_on")),
                name="proposal_reply_due_after_assignment",
            ),
            models.CheckConstraint(condition=~Q(number=""), name="proposal_number_not_blank"),
        ]
        indexes = [
            models.Index(fields=["-replied_on", "-id"], name="proposal_replied_on_idx"),
            # A search for a number puts that proposal first (portal.views.public).
            models.Index(fields=["number"], name="proposal_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number_label} {self.title}"

    def get_absolute_url(self) -> str:
        try:
            return reverse(
                "portal:detail",
                kwargs={
                    "committee": self.session.committee.slug,
                    "session": self.session.slug,
                    "number": self.slug or number_slug(self.number),
                },
            )
        except NoReverseMatch:
            # One odd row must not take a list down: it is shown without a link.
            logger.warning("No URL for proposal %s (%r)", self.pk, self.number)
            return ""

    @property
    def number_label(self) -> str:
        return f"第{self.number}号" if self.number_stated else str(_("未编号"))


class ProposalProposer(models.Model):
    """Joint proposals list their proposers in order; the first one leads."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, verbose_name=_("提案"))
    proposer = models.ForeignKey(Proposer, on_delete=models.PROTECT, verbose_name=_("提案人"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("提案人")
        verbose_name_plural = _("提案人")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "proposer"], name="uniq_proposer_per_proposal"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.proposer}"


class Clerk(models.Model):
    """A department clerk: an admin user who sees only their own department's work."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="clerk",
        verbose_name=_("用户"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="clerks", verbose_name=_("承办单位")
    )

    class Meta:
        verbose_name = _("承办单位经办人")
        verbose_name_plural = _("承办单位经办人")

    def __str__(self) -> str:
        return f"{self.user} · {self.department}"


class DeadlineExtensionQuerySet(models.QuerySet):
    def editable_by(self, user) -> "DeadlineExtensionQuerySet":
        return self.filter(proposal__in=Proposal.objects.editable_by(user).values("pk"))


class DeadlineExtension(models.Model):
    """延期: a later reply due date, requested and then approved by the proposal office."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("提案")
    )
    new_due = models.DateField(_("延期至"))
    reason = models.TextField(_("理由"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)

    objects = DeadlineExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True) | Q(approved_by__isnull=False),
                name="extension_approval_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal}：延期至 {self.new_due}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class RelatedProposal(models.Model):
    """此前相关提案: ``earlier`` is a proposal of the same committee, in an earlier session,
    about the same problem as ``proposal`` (``proposals.repeats``). Precomputed, so that a
    page reads its list in one query: refreshed for a proposal when its title or published
    text changes (replies.services.repeats) and rebuilt whole by a nightly job."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="earlier_links", verbose_name=_("提案")
    )
    earlier = models.ForeignKey(
        Proposal,
        on_delete=models.CASCADE,
        related_name="later_links",
        verbose_name=_("此前相关提案"),
    )
    score = models.FloatField(_("相似度"))

    class Meta:
        verbose_name = _("此前相关提案")
        verbose_name_plural = _("此前相关提案")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "earlier"], name="uniq_related_proposal"),
            models.CheckConstraint(
                condition=~Q(proposal=models.F("earlier")), name="related_proposal_not_itself"
            ),
        ]
        indexes = [models.Index(fields=["earlier"], name="related_proposal_earlier_idx")]

    def __str__(self) -> str:
        return f"{self.proposal_id} ← {self.earlier_id} ({self.score:.2f})"
