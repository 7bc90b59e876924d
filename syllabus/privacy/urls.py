from django.urls import path

from syllabus.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("export/", views.export_request, name="export_request"),
    path("erasure/", views.erasure_request, name="erasure_request"),
    path("requests/<str:public_id>/download/", views.download, name="download"),
    path("consent/", views.consent, name="consent"),
    path("policy/<str:kind>/", views.policy, name="policy"),
    # Compliance officers
    path("requests/", views.requests_list, name="requests"),
    path("requests/new/", views.request_for, name="request_for"),
    path("requests/<str:public_id>/", views.review, name="review"),
    path("policies/", views.policies, name="policies"),
    path("retention/", views.retention, name="retention"),
]
