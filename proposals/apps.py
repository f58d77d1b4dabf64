from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("提案")

    def ready(self) -> None:
        from proposals import search  # noqa: F401  (registers the tsquery lookup)
