from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.views import healthz
from portal.views.evidence import evidence_file

admin.site.site_header = "提案答复追踪 · 管理"
admin.site.site_title = "提案答复追踪"
admin.site.index_title = "提案、答复与承诺事项"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
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
