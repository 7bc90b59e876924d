from django.contrib import admin
from django.urls import include, path, re_path

from syllabus.accounts.views_signin import password_reset_from_key
from syllabus.config.api import api
from syllabus.core import views as core_views
from syllabus.core.signed_media import signed_media
from syllabus.ops import views_health, views_metrics

urlpatterns = [
    path("", core_views.home, name="home"),
    path("help/", core_views.help_page, name="help"),
    # Ahead of allauth's own pattern (same URL and name): refused links answer 400.
    re_path(
        r"^accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path("accounts/", include("allauth.urls")),
    path("account/", include("syllabus.accounts.urls")),
    path("courses/", include("syllabus.courses.urls")),
    path("", include("syllabus.learning.urls")),
    path("notifications/", include("syllabus.communication.urls")),
    path("quizzes/", include("syllabus.assessments.urls")),
    path("assignments/", include("syllabus.assignments.urls")),
    path("grades/", include("syllabus.grades.urls")),
    path("certificates/", include("syllabus.certificates.urls")),
    path("privacy/", include("syllabus.privacy.urls")),
    path("backups/", include("syllabus.backups.urls")),
    path("access-reviews/", include("syllabus.reviews.urls")),
    path("compliance/", include("syllabus.compliance.urls")),
    path("ops/", include("syllabus.ops.urls")),
    path("health", views_health.health, name="health"),
    path("health/live", views_health.live, name="health_live"),
    path("health/ready", views_health.ready, name="health_ready"),
    path("metrics", views_metrics.metrics, name="metrics"),
    # Private files through short-lived signed URLs (the signature is the permission).
    path("media/<path:name>", signed_media, name="signed_media"),
    # The language chooser posts here (Django's set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

handler400 = "syllabus.core.views.bad_request"
handler403 = "syllabus.core.views.permission_denied"
handler404 = "syllabus.core.views.page_not_found"
handler500 = "syllabus.core.views.server_error"
