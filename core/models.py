"""Site plumbing's own data: the public-data version and pre-rendered public pages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicDataVersion(models.Model):
    """One row, bumped by the services in the same transaction as any change to what the
    public may see (never for a draft-only change): page-cache keys, ``ETag`` and
    ``Last-Modified`` derive from it, so every process and node sees a change as soon as
    it is committed, a deletion included, and draft activity shows nowhere."""

    value = models.BigIntegerField(_("版本"), default=1)
    changed_at = models.DateTimeField(_("变更时间"))
    # Moves only with a change not scoped to given proposals (or of unknown scope): pages
    # keyed on their own version (a proposal's page) key on this one too.
    broad = models.BigIntegerField(_("全站版本"), default=1)
    # The proposal office's choices about what the public sees, kept on this row so that
    # every page reads them with the version, in the same query (core.versioning).
    department_figures_public = models.BooleanField(
        _("公开各承办单位的兑现率"),
        default=True,
        help_text=_(
            "关闭后，公众和委员只看到总体、各委员会和各年度的兑现率；提案委和承办单位仍可看到各单位的数字。"
        ),
    )

    class Meta:
        verbose_name = _("公开数据版本")
        verbose_name_plural = _("公开数据版本")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="public_data_version_singleton")
        ]

    def __str__(self) -> str:
        return f"{self.value} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class OfficeSettings(PublicDataVersion):
    """The proposal office's settings of the public site (the version row's choices),
    edited in the admin by the office only (``core.versioning.set_office_settings``)."""

    class Meta:
        proxy = True
        verbose_name = _("公开设置")
        verbose_name_plural = _("公开设置")

    def __str__(self) -> str:
        return str(_("公开设置"))


class PageSnapshot(models.Model):
    """A public page rendered ahead of its visitors (``core.caching.public_page`` with a
    ``scope``): served while its ``token`` is the page's current version and today is
    before ``valid_until`` (when something on it turns overdue), rendered again by a job
    after every change to it. Holds only what the public page shows; the page cache in
    front of it serves repeated visits."""

    key = models.CharField(_("页面"), max_length=600, unique=True)  # "host|path"
    token = models.CharField(_("版本"), max_length=200)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.PositiveSmallIntegerField(_("状态码"), default=200)
    content_type = models.CharField(_("内容类型"), max_length=100)
    body = models.BinaryField(_("内容"))
    rendered_at = models.DateTimeField(_("生成时间"), auto_now=True)

    class Meta:
        verbose_name = _("页面快照")
        verbose_name_plural = _("页面快照")

    def __str__(self) -> str:
        return self.key
