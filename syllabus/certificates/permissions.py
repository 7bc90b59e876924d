"""Who may see and manage certificates: predicates shared by the pages and the API.

A course's certificates are listed to those who follow its learners
(course.view_learners) and revoked, reissued or configured by its editors (course.edit).
A certificate whose course was deleted is managed with the site-wide permission.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.permissions import site_permissions
from syllabus.certificates.models import Certificate
from syllabus.courses.models import Course
from syllabus.courses.permissions import has_course_perm

VIEW = "course.view_learners"
MANAGE = "course.edit"


def _holds(user: Any, course: Course | None, code: str) -> bool:
    if course is None:
        return code in site_permissions(user)
    return has_course_perm(user, course, code)


def can_view_course_certificates(user: Any, course: Course | None) -> bool:
    return _holds(user, course, VIEW)


def can_manage_certificates(user: Any, course: Course | None) -> bool:
    return _holds(user, course, MANAGE)


def can_download(user: Any, certificate: Certificate) -> bool:
    """The learner (unless it was revoked) and the course's staff."""
    if certificate.user_id == user.pk and certificate.revoked_at is None:
        return True
    return can_view_course_certificates(user, certificate.course)
