from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.views import healthz, metrics
from portal.views.evidence import evidence_file

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("portal.urls")),
    # Uploaded files are never served raw, not even in development: every file URL goes
    # through the view that checks who may see it and sends it as a download.
    path(
        settings.MEDIA_URL.lstrip("/") + "<path:name>",
        evidence_file,
        name="evidence-file",
    ),
]

handler400 = "core.views.bad_request"
handler500 = "core.views.server_error"
