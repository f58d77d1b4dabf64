"""Admin plumbing shared by the domain apps."""

from django.core.exceptions import PermissionDenied

from core.roles import clerk_department_id


class DepartmentScopedMixin:
    """A department clerk sees and edits only their own department's rows.

    ``department_lookup`` is the path from the model to its department (or override
    ``scope``). Rows of another department are absent from changelists, autocomplete and
    actions, and opening one by URL is refused with 403. Foreign-key choices are scoped by
    the admin of the model they point to, so a clerk cannot pick another department's row.
    """

    department_lookup: str = ""

    def scope(self, request, queryset):
        department = clerk_department_id(request.user)
        if department is None:
            return queryset
        return queryset.filter(**{self.department_lookup: department})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and clerk_department_id(request.user) is not None:
            try:
                exists = self.model._default_manager.filter(pk=object_id).exists()
            except (ValueError, TypeError):
                exists = False
            if exists:
                raise PermissionDenied
        return obj

    def history_view(self, request, object_id, extra_context=None):
        # History pages show old values: they are scoped like the objects themselves.
        self.get_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if clerk_department_id(request.user) is not None:
            related_admin = self.admin_site._registry.get(db_field.related_model)
            if isinstance(related_admin, DepartmentScopedMixin):
                kwargs["queryset"] = related_admin.scope(
                    request, db_field.related_model._default_manager.all()
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
