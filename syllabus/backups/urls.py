from django.urls import path

from syllabus.backups import views

app_name = "backups"

urlpatterns = [
    path("", views.backup_list, name="list"),
    path("run/", views.backup_now, name="run"),
    path("verify/", views.backup_verify, name="verify"),
]
