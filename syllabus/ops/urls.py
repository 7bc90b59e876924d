from django.urls import path

from syllabus.ops import views, views_dashboard, views_exports, views_manage

app_name = "ops"

urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("exports/", views_exports.exports, name="exports"),
    path("manage/", views_manage.manage, name="manage"),
]
