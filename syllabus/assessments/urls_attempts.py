"""Taking quizzes (under /quizzes/, namespace "assessments"): the quiz page, attempts,
results, and the staff's attempt list, review and essay grading."""

from django.urls import path

from syllabus.assessments import views_attempts as views

urlpatterns = [
    path("quiz/<str:public_id>/", views.quiz_home, name="quiz_home"),
    path("quiz/<str:public_id>/start/", views.quiz_start, name="quiz_start"),
    path("quiz/<str:public_id>/attempts/", views.quiz_attempt_list, name="quiz_attempt_list"),
    path("attempt/<str:public_id>/", views.attempt_take, name="attempt_take"),
    path(
        "attempt/<str:public_id>/answers/<int:position>/",
        views.attempt_save,
        name="attempt_save",
    ),
    path("attempt/<str:public_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempt/<str:public_id>/result/", views.attempt_result, name="attempt_result"),
    path("attempt/<str:public_id>/review/", views.attempt_review, name="attempt_review"),
    path(
        "attempt/<str:public_id>/answers/<int:position>/grade/",
        views.attempt_grade,
        name="attempt_grade",
    ),
]
