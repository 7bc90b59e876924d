"""Reads: a learner's certificates, a course's, one by its public code."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from syllabus.certificates.models import Certificate
from syllabus.courses.models import Course


def certificates_of(user: Any) -> QuerySet[Certificate]:
    """A learner's current certificates (a reissued one's predecessor is left out)."""
    return Certificate.objects.filter(user=user, replaced_at__isnull=True).order_by(
        "-issued_at", "-id"
    )


def course_certificates(course: Course, *, include_replaced: bool = False) -> QuerySet[Certificate]:
    qs = Certificate.objects.filter(course=course).select_related("user", "revoked_by")
    if not include_replaced:
        qs = qs.filter(replaced_at__isnull=True)
    return qs.order_by("-issued_at", "-id")


def certificate_by_code(code: str) -> Certificate | None:
    """``code`` in canonical form (codes.normalize_code)."""
    return Certificate.objects.filter(code=code).first()


def current_certificate(user: Any, course: Course) -> Certificate | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Certificate.objects.filter(user=user, course=course, replaced_at__isnull=True).first()
