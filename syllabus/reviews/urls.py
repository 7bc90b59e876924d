from django.urls import path

from syllabus.reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("mine/", views.mine, name="mine"),
    path("items/<str:public_id>/decide/", views.decide, name="decide"),
    path("<str:public_id>/", views.campaign, name="campaign"),
    path("<str:public_id>/apply/", views.apply, name="apply"),
    path("<str:public_id>/remind/", views.remind, name="remind"),
    path("<str:public_id>/sign-off/", views.sign_off, name="sign_off"),
    path("<str:public_id>/report.<str:kind>", views.report, name="report"),
]
