"""Who may do what in a course's gradebook (the same predicates for pages and API)."""

from __future__ import annotations

from typing import Any

from syllabus.courses.models import Course
from syllabus.courses.permissions import has_course_perm


def can_view_gradebook(user: Any, course: Course) -> bool:
    return has_course_perm(user, course, "grade.view")


def can_edit_grades(user: Any, course: Course) -> bool:
    """Enter grades, override them, and set up items, categories and the scale."""
    return has_course_perm(user, course, "grade.view") and has_course_perm(
        user, course, "grade.edit"
    )


def can_export_grades(user: Any, course: Course) -> bool:
    return has_course_perm(user, course, "grade.view") and has_course_perm(
        user, course, "export.run"
    )
