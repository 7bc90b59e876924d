"""Learner pages (dashboard, lessons, resume) and the course roster, namespace "learning"."""

from django.urls import path

from syllabus.learning import views

app_name = "learning"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/directory/", views.directory_preference, name="directory"),
    path("learn/course/<str:public_id>/", views.course_home, name="course_home"),
    path("learn/course/<str:public_id>/roster/", views.roster_page, name="roster"),
    path("learn/course/<str:public_id>/roster.csv", views.roster_export, name="roster_export"),
    path("learn/<str:public_id>/", views.lesson, name="lesson"),
    path("learn/<str:public_id>/complete/", views.complete, name="lesson_complete"),
    path(
        "learn/<str:public_id>/media/<str:field>/",
        views.lesson_media,
        name="lesson_media",
    ),
]
