"""Quiz authoring pages (Teach), under /quizzes/teach/ in the "assessments" namespace."""

from django.urls import URLPattern, path, re_path

from syllabus.assessments import views_authoring as views

COURSE = r"(?P<public_id>crs_[0-9a-z]{1,40})"
BANK = r"(?P<public_id>qbk_[0-9a-z]{1,40})"
QUESTION = r"(?P<public_id>qst_[0-9a-z]{1,40})"
LESSON = r"(?P<public_id>les_[0-9a-z]{1,40})"
LEARNER = r"(?P<learner_id>usr_[0-9a-z]{1,40})"
KIND = r"(?P<kind>[a-z_]{1,12})"

urlpatterns: list[URLPattern] = [
    re_path(rf"^teach/courses/{COURSE}/banks/$", views.bank_list, name="bank_list"),
    re_path(rf"^teach/banks/{BANK}/$", views.bank_detail, name="bank_detail"),
    re_path(rf"^teach/banks/{BANK}/edit/$", views.bank_edit, name="bank_edit"),
    re_path(rf"^teach/banks/{BANK}/delete/$", views.bank_delete, name="bank_delete"),
    re_path(rf"^teach/banks/{BANK}/new/{KIND}/$", views.question_new, name="question_new"),
    re_path(rf"^teach/questions/{QUESTION}/$", views.question_edit, name="question_edit"),
    re_path(
        rf"^teach/questions/{QUESTION}/preview/$",
        views.question_preview,
        name="question_preview",
    ),
    re_path(
        rf"^teach/questions/{QUESTION}/delete/$", views.question_delete, name="question_delete"
    ),
    re_path(
        rf"^teach/questions/{QUESTION}/regrade/$",
        views.question_regrade,
        name="question_regrade",
    ),
    re_path(rf"^teach/lessons/{LESSON}/settings/$", views.quiz_settings, name="quiz_settings"),
    re_path(rf"^teach/lessons/{LESSON}/questions/$", views.quiz_questions, name="quiz_questions"),
    re_path(rf"^teach/lessons/{LESSON}/questions/add/$", views.slot_add, name="slot_add"),
    path("teach/slots/<int:slot_id>/remove/", views.slot_remove, name="slot_remove"),
    path("teach/slots/<int:slot_id>/move/", views.slot_move, name="slot_move"),
    re_path(
        rf"^teach/lessons/{LESSON}/accommodations/$",
        views.accommodations,
        name="accommodations",
    ),
    re_path(
        rf"^teach/lessons/{LESSON}/accommodations/{LEARNER}/$",
        views.accommodation_set,
        name="accommodation_set",
    ),
    re_path(
        rf"^teach/lessons/{LESSON}/accommodations/{LEARNER}/remove/$",
        views.accommodation_remove,
        name="accommodation_remove",
    ),
]
