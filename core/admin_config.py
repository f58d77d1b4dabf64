"""django.contrib.admin with the admin site of core.admin (its own module: an apps module
may declare only one default AppConfig)."""

from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    default_site = "core.admin.TrackerAdminSite"
