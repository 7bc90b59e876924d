from django.urls import path

from syllabus.compliance import views

app_name = "compliance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("report.<str:kind>", views.download, name="download"),
]
