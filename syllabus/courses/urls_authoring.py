"""Course pages: authoring. Included by syllabus.courses.urls (namespace "courses")."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
