from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("公众网站")

    def ready(self) -> None:
        from core.versioning import pages_changed
        from portal.tasks import queue

        # Pages changed: rendered again after the commit (portal.snapshots).
        pages_changed.connect(queue, dispatch_uid="portal.render_pages")
