from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache

from replies import views as replies_views

admin.site.site_header = "提案答复追踪 · 管理"
admin.site.site_title = "提案答复追踪"
admin.site.index_title = "提案、答复与承诺事项"


@never_cache
def healthz(request):
    """200 only when the database answers: what a load balancer needs to know."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("proposals.urls")),
    path("", include("replies.urls")),
    # Uploaded files are never served raw, not even in development: every file URL goes
    # through the view that checks who may see it and sends it as a download.
    path(
        settings.MEDIA_URL.lstrip("/") + "<path:name>",
        replies_views.evidence_file,
        name="evidence-file",
    ),
]

handler400 = replies_views.bad_request
