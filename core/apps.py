from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from core.sessions import limit_staff_session


def _ensure_roles(sender, **kwargs) -> None:
    # Permissions exist only after migrate created them, so roles are set up here.
    from core.roles import ensure_roles

    ensure_roles()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("站点")

    def ready(self) -> None:
        # ensure_roles creates the permissions it grants, whichever apps migrated first.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="core.ensure_roles")
        user_logged_in.connect(limit_staff_session, dispatch_uid="core.limit_staff_session")
