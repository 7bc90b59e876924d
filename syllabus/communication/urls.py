"""Notification pages, namespace "communication"."""

from django.urls import URLPattern, path  # noqa: F401

app_name = "communication"

urlpatterns: list[URLPattern] = []
