from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs) -> None:
    # Permissions exist only after migrate created them, so roles are set up here.
    from replies.roles import ensure_roles

    ensure_roles()


class RepliesConfig(AppConfig):
    name = "replies"
    verbose_name = _("答复与承诺")

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="replies.ensure_roles")
