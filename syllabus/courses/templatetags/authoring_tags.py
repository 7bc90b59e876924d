"""Template tags of the authoring pages: whether to show the "Teach" link."""

from __future__ import annotations

from typing import Any

from django import template

from syllabus.accounts.models import Role
from syllabus.accounts.permissions import site_permissions
from syllabus.accounts.roles import COURSE
from syllabus.courses.permissions import course_role_permissions

register = template.Library()


def editing_roles() -> list[Role]:
    """Course roles that carry course.edit (instructor, and any custom role with it)."""
    return [r for r in Role.objects.filter(scope=COURSE) if "course.edit" in r.permissions]


def can_teach(user: Any) -> bool:
    """Someone who creates courses, edits any course, or edits at least one; remembered
    on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = user.__dict__.get("_can_teach")
    if cached is None:
        permissions = site_permissions(user)
        cached = (
            "course.create" in permissions
            or "course.edit" in permissions
            # One query: the permissions of the roles the user holds in any course.
            or "course.edit" in course_role_permissions(user)
        )
        user.__dict__["_can_teach"] = cached
    return bool(cached)


@register.simple_tag
def teaches(user: Any) -> bool:
    return can_teach(user)
