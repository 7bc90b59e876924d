"""Course pages: announcements. Included by syllabus.courses.urls (namespace "courses")."""

from django.urls import URLPattern, path

from syllabus.courses import views_announcements as views

urlpatterns: list[URLPattern] = [
    path("<str:public_id>/announcements/", views.announcements, name="announcements"),
    path("<str:public_id>/announcements/new/", views.announcement_new, name="announcement_new"),
    path(
        "<str:public_id>/announcements/<str:announcement_id>/",
        views.announcement_detail,
        name="announcement",
    ),
    path(
        "<str:public_id>/announcements/<str:announcement_id>/edit/",
        views.announcement_edit,
        name="announcement_edit",
    ),
    path(
        "<str:public_id>/announcements/<str:announcement_id>/delete/",
        views.announcement_delete_view,
        name="announcement_delete",
    ),
]
