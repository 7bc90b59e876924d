"""Account pages of our own (allauth's live under /accounts/)."""

from django.urls import path  # noqa: F401  (each part adds its path() lines below)

app_name = "accounts"

urlpatterns: list = []
