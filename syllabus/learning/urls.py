"""Learner pages (dashboard, lessons, progress), namespace "learning"."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "learning"

urlpatterns: list[URLPattern] = []
