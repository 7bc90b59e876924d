"""Course pages: authoring ("Teach"). Included by syllabus.courses.urls (namespace "courses").

Course ids are matched by their prefix (crs_), as in urls_catalog, so these paths never
shadow another area's words under /courses/.
"""

from django.urls import URLPattern, path, re_path

from syllabus.courses import views_authoring as views

COURSE = r"(?P<public_id>crs_[0-9a-z]{1,40})"
MODULE = r"(?P<public_id>mod_[0-9a-z]{1,40})"
LESSON = r"(?P<public_id>les_[0-9a-z]{1,40})"
FIELD = r"(?P<field>video|captions|file)"

urlpatterns: list[URLPattern] = [
    path("teach/", views.teach, name="teach"),
    path("teach/new/", views.course_new, name="new"),
    re_path(rf"^{COURSE}/edit/$", views.course_edit, name="edit"),
    re_path(rf"^{COURSE}/edit/publish/$", views.course_publish, name="publish"),
    re_path(rf"^{COURSE}/edit/unpublish/$", views.course_unpublish, name="unpublish"),
    re_path(rf"^{COURSE}/edit/archive/$", views.course_archive, name="archive"),
    re_path(rf"^{COURSE}/edit/copy/$", views.course_copy, name="copy"),
    re_path(rf"^{COURSE}/edit/delete/$", views.course_delete, name="delete"),
    re_path(rf"^{COURSE}/outline/$", views.outline, name="outline"),
    re_path(rf"^{COURSE}/modules/new/$", views.module_new, name="module_new"),
    re_path(rf"^{COURSE}/modules/order/$", views.module_order, name="module_order"),
    re_path(rf"^modules/{MODULE}/edit/$", views.module_edit, name="module_edit"),
    re_path(rf"^modules/{MODULE}/delete/$", views.module_delete, name="module_delete"),
    re_path(rf"^modules/{MODULE}/move/$", views.module_move, name="module_move"),
    re_path(rf"^modules/{MODULE}/publish/$", views.module_publish, name="module_publish"),
    re_path(rf"^modules/{MODULE}/lessons/new/$", views.lesson_new, name="lesson_new"),
    re_path(rf"^modules/{MODULE}/lessons/order/$", views.lesson_order, name="lesson_order"),
    re_path(rf"^lessons/{LESSON}/edit/$", views.lesson_edit, name="lesson_edit"),
    re_path(rf"^lessons/{LESSON}/delete/$", views.lesson_delete, name="lesson_delete"),
    re_path(rf"^lessons/{LESSON}/move/$", views.lesson_move, name="lesson_move"),
    re_path(rf"^lessons/{LESSON}/publish/$", views.lesson_publish, name="lesson_publish"),
    re_path(rf"^lessons/{LESSON}/preview/$", views.lesson_preview, name="lesson_preview"),
    re_path(rf"^lessons/{LESSON}/upload/{FIELD}/$", views.lesson_upload, name="lesson_upload"),
    re_path(
        rf"^lessons/{LESSON}/remove/{FIELD}/$",
        views.lesson_media_remove,
        name="lesson_media_remove",
    ),
    re_path(rf"^lessons/{LESSON}/media/{FIELD}$", views.lesson_media, name="lesson_media"),
]
