"""Certificate pages, namespace "certificates" (mounted at /certificates/)."""

from django.urls import path

from syllabus.certificates import views

app_name = "certificates"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("course/<str:public_id>/", views.course_list, name="course_list"),
    path("course/<str:public_id>/settings/", views.course_settings, name="course_settings"),
    path("<str:public_id>/pdf/", views.download, name="download"),
    path("<str:public_id>/revoke/", views.revoke, name="revoke"),
    path("<str:public_id>/reissue/", views.reissue, name="reissue"),
]
