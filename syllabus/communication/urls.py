"""Notification pages, namespace "communication", mounted at /notifications/."""

from django.urls import URLPattern, path

from syllabus.communication import views

app_name = "communication"

urlpatterns: list[URLPattern] = [
    path("", views.notifications, name="list"),
    path("preferences/", views.preferences, name="preferences"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<str:public_id>/read/", views.mark_read, name="mark_read"),
    path("<str:public_id>/open/", views.open_notification, name="open"),
]
