"""Assignment pages, namespace "assignments" (mounted at /assignments/)."""

from django.urls import path

from syllabus.assignments import views

app_name = "assignments"

urlpatterns = [
    path("lesson/<str:public_id>/settings/", views.edit, name="edit"),
    path("lesson/<str:public_id>/submit/", views.submit, name="submit"),
    path("lesson/<str:public_id>/submissions/", views.submissions, name="submissions"),
    path("lesson/<str:public_id>/extensions/", views.extensions, name="extensions"),
    path(
        "lesson/<str:public_id>/extensions/<str:user_id>/remove/",
        views.extension_remove,
        name="extension_remove",
    ),
    path("course/<str:public_id>/queue/", views.queue, name="queue"),
    path("submission/<str:public_id>/", views.grade, name="grade"),
    path("file/<str:public_id>/", views.file, name="file"),
]
