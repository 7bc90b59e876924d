from django.contrib import admin
from django.urls import include, path

from syllabus.config.api import api
from syllabus.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("syllabus.accounts.urls")),
    path("ops/", include("syllabus.ops.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "syllabus.core.views.bad_request"
handler403 = "syllabus.core.views.permission_denied"
handler404 = "syllabus.core.views.page_not_found"
handler500 = "syllabus.core.views.server_error"
