from django.urls import include, path

app_name = "assessments"

urlpatterns = [
    path("", include("syllabus.assessments.urls_attempts")),
    path("", include("syllabus.assessments.urls_authoring")),
]
