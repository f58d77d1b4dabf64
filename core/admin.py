"""Admin plumbing shared by the domain apps: every admin view reads through the model's
access rule."""

import logging
from functools import wraps

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.models import OfficeSettings
from core.roles import NO_DEPARTMENT_MESSAGE, clerk_without_department, is_office
from core.versioning import set_office_settings
from core.views import bad_request

logger = logging.getLogger(__name__)

OTHER_DEPARTMENT = _("这项内容不属于您所在的承办单位，您不能查看或修改。")


class AccessScopedMixin:
    """Admin views of a model with ``objects.editable_by(user)``: the changelist, change,
    delete, history (list and versions), revert, autocomplete, raw-id lookups and actions
    all read the rows ``editable_by(request.user)`` returns — the office's everything, a
    clerk's own department's rows, nobody else's anything (failing closed).

    A row outside the user's scope opened by URL is refused with 403 (the user may not
    have it, and being told so beats a puzzling 404); reverting from history is the
    proposal office's alone. Foreign-key choices are scoped by the rule of the model they
    point to, so a clerk cannot pick another department's row, and is told why.
    """

    def scope(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(pk__in=self.model._default_manager.editable_by(request.user))

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self._exists(object_id):
            raise PermissionDenied(OTHER_DEPARTMENT)
        return obj

    def _exists(self, object_id) -> bool:
        try:
            return self.model._default_manager.filter(pk=object_id).exists()
        except (ValueError, TypeError):
            return False

    # A clerk without a department sees empty lists (and why), and may change nothing.
    def has_add_permission(self, request, *args):
        return not clerk_without_department(request.user) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request, obj=None):
        return not clerk_without_department(request.user) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not clerk_without_department(request.user) and super().has_delete_permission(
            request, obj
        )

    def changelist_view(self, request, extra_context=None):
        if clerk_without_department(request.user):
            messages.error(request, NO_DEPARTMENT_MESSAGE)
        return super().changelist_view(request, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # History pages show old values: they are scoped like the objects themselves; a
        # deleted object's history is the office's only (no row says whose it was).
        self._check_history_access(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_history_access(request, object_id)
        if request.method == "POST" and not is_office(request.user):
            # Reverting rewrites what a department promised: the proposal office's call.
            raise PermissionDenied(_("只有提案委可以从历史记录恢复旧版本。"))
        # One transaction, as the change form has: the form's checks lock rows.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

    def _check_history_access(self, request, object_id) -> None:
        if is_office(request.user):
            return
        try:
            visible = self.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError):
            visible = False
        if not visible:
            raise PermissionDenied(OTHER_DEPARTMENT)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.related_model._default_manager
        if hasattr(manager, "editable_by") and not is_office(request.user):
            kwargs["queryset"] = manager.editable_by(request.user)
            kwargs.setdefault("error_messages", {})["invalid_choice"] = _(
                "只能选择本单位的%(model)s：其他承办单位的数据由该单位或提案委处理。"
            ) % {"model": db_field.related_model._meta.verbose_name}
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class OfficeOnlyMixin:
    """django-axes' records (who tried to log in from where): the proposal office reads
    them and deletes one to lift a lockout; a clerk never sees them, whatever permissions
    a group is given; nobody edits them."""

    def has_module_permission(self, request):
        return is_office(request.user)

    def has_view_permission(self, request, obj=None):
        return is_office(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_office(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LoginAttemptAdmin(OfficeOnlyMixin, AccessAttemptAdmin):
    pass


class LoginLogAdmin(OfficeOnlyMixin, AccessLogAdmin):
    pass


class LoginFailureAdmin(OfficeOnlyMixin, AccessFailureLogAdmin):
    pass


class OfficeSettingsAdmin(admin.ModelAdmin):
    """公开设置: the proposal office's choices about what the public sees, one row, changed
    through ``core.versioning.set_office_settings`` (a public change). Nobody else sees it."""

    fields = ["department_figures_public"]
    list_display = ["__str__", "department_figures_public"]

    def has_module_permission(self, request):
        return is_office(request.user)

    def has_view_permission(self, request, obj=None):
        return is_office(request.user)

    def has_change_permission(self, request, obj=None):
        return is_office(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        set_office_settings(department_figures_public=obj.department_figures_public)


class TrackerAdminSite(admin.AdminSite):
    """The admin site: Django's, in Chinese, with "view on site" asking the model's admin
    whether the user may have the object (Django's redirects to any object's page)."""

    site_header = _("提案答复追踪 · 管理")
    site_title = _("提案答复追踪")
    index_title = _("提案、答复与承诺事项")
    # The app list beside every page takes a quarter of a 1366 px screen from the
    # changelists; the breadcrumbs and the index lead everywhere it does.
    enable_nav_sidebar = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # django-axes' records, registered by the site itself (AXES_ENABLE_ADMIN is off):
        # core.admin is imported while the default site is being made, so a module-level
        # admin.register here would register on a site that is then thrown away.
        self.register(AccessAttempt, LoginAttemptAdmin)
        self.register(AccessLog, LoginLogAdmin)
        self.register(AccessFailureLog, LoginFailureAdmin)
        self.register(OfficeSettings, OfficeSettingsAdmin)

    def admin_view(self, view, cacheable=False):
        """Every admin view: a value in the URL or the query that the admin cannot read (an
        id that is no number, a year past 9999, a filter on a bad value) is a 400 page in
        Chinese, never a server error."""
        protected = super().admin_view(view, cacheable)

        @wraps(protected)
        def inner(request, *args, **kwargs):
            try:
                response = protected(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    # Rendered here, not later in the handler: a form that reads a bad
                    # value from the query (?committee=²) fails while it renders.
                    response.render()
                return response
            except (ValueError, OverflowError, ValidationError) as error:
                logger.warning("Admin refused %s: %r", request.path[:200], error)
                return bad_request(request, error)

        return inner

    def get_urls(self):
        urls = super().get_urls()
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(
                    "r/<path:content_type_id>/<path:object_id>/",
                    self.admin_view(self.view_on_site),
                    name="view_on_site",
                )
        return urls

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            raise Http404(_("没有找到这个对象。")) from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404(_("没有找到这个对象。"))
        try:
            obj = model_admin.get_queryset(request).get(pk=object_id)
        except (model.DoesNotExist, ValueError, TypeError, ValidationError):
            raise Http404(_("没有找到这个对象。")) from None
        if not hasattr(obj, "get_absolute_url"):
            raise Http404(_("这个对象没有公开页面。"))
        return redirect(obj.get_absolute_url())
