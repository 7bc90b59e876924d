"""The site's URLs plus one view that fails, so the browser suite can check the 500 page
(no real page fails on purpose). Used as ROOT_URLCONF by the route accessibility suite."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from syllabus.config import urls as site_urls

SERVER_ERROR_PATH = "/route-check/server-error/"


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate failure: the 500 page is being checked")


urlpatterns = [path(SERVER_ERROR_PATH.strip("/") + "/", fail), *site_urls.urlpatterns]

handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500
