"""The project's URLs plus /bench/ok: Django with no work, the yardstick for the pages."""

from django.http import HttpResponse
from django.urls import include, path


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/ok", ok), path("", include("config.urls"))]
