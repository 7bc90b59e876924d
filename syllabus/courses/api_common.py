"""What the course API modules share: finding a course the caller may see, and checking a
permission in it (the token's scopes and the person's roles, the same predicates as the
pages)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from syllabus.accounts.tokens import token_allows
from syllabus.core.api_schemas import Error
from syllabus.courses.models import Course
from syllabus.courses.permissions import courses_visible_to, has_course_perm

# The refusals every course endpoint can answer.
ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}


def course_for(request: HttpRequest, public_id: str) -> Course:
    """The course with this public id, if the caller may see it; else 404 (drafts are
    never revealed to those who may not see them)."""
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    return course


def require_course_perm(request: HttpRequest, course: Course, code: str) -> None:
    """403 unless the caller holds ``code`` in the course (and their token allows it)."""
    if not (token_allows(request, code) and has_course_perm(request.user, course, code)):
        raise PermissionDenied(
            _("This needs the %(code)s permission in this course.") % {"code": code}
        )
