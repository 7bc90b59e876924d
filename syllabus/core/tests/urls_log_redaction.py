"""URLs for the log redaction test: the site's own, plus a view that fails with secrets
in its locals."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from syllabus.config.urls import urlpatterns as site_urlpatterns

BOOM_SECRET = "Local-Variable-Secret-0001"


def boom(request: HttpRequest) -> HttpResponse:
    api_key = BOOM_SECRET  # a local a traceback with locals would show
    raise RuntimeError(f"could not call the gateway with password={api_key}")


urlpatterns = [path("boom/", boom, name="boom"), *site_urlpatterns]
handler500 = "syllabus.core.views.server_error"
