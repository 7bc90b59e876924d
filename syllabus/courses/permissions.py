"""Course permissions: site-wide permissions plus the role a person holds in the course.

The same predicates serve views, the API, the admin and the CLI; ``courses_visible_to``
is the queryset filter every course list applies.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from syllabus.accounts.permissions import site_permissions
from syllabus.accounts.roles import PERMISSIONS
from syllabus.courses.models import Course, CourseMembership


def course_role_slugs(user: Any) -> set[str]:
    """Slugs of the course roles a user holds in any course (for the MFA policy)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return set()
    return set(CourseMembership.objects.filter(user=user).values_list("role__slug", flat=True))


def course_role_permissions(user: Any) -> set[str]:
    """Every permission the user's course roles carry, in any course (for token scopes)."""
    codes: set[str] = set()
    for perms in CourseMembership.objects.filter(user=user).values_list(
        "role__permissions", flat=True
    ):
        codes.update(perms)
    return codes


def course_permissions(user: Any, course: Course) -> frozenset[str]:
    """What ``user`` may do in ``course``: their site permissions and their course role's."""
    codes = set(site_permissions(user))
    if getattr(user, "is_authenticated", False) and user.is_active:
        cache: dict[int, frozenset[str]] = user.__dict__.setdefault("_course_permissions", {})
        if course.pk not in cache:
            perms = (
                CourseMembership.objects.filter(user=user, course=course)
                .values_list("role__permissions", flat=True)
                .first()
            )
            cache[course.pk] = frozenset(perms or ())
        codes |= cache[course.pk]
    return frozenset(codes)


def has_course_perm(user: Any, course: Course, code: str) -> bool:
    if code not in PERMISSIONS:
        raise ValueError(f"Unknown permission {code!r}: add it to syllabus.accounts.roles.")
    return code in course_permissions(user, course)


def forget_course_permissions(user: Any) -> None:
    user.__dict__.pop("_course_permissions", None)


def courses_visible_to(user: Any) -> Q:
    """Published courses for everyone; drafts for their members and course editors."""
    published = Q(status=Course.Status.PUBLISHED)
    if not getattr(user, "is_authenticated", False):
        return published
    if "course.edit" in site_permissions(user):
        return Q()
    return published | Q(pk__in=CourseMembership.objects.filter(user=user).values("course"))


def can_grant_course_role(actor: Any, course: Course, role_permissions: list[str]) -> bool:
    """No escalation: managing people in a course, and holding what the role carries."""
    if actor is None:
        return True
    held = course_permissions(actor, course)
    return "enrolment.manage" in held and set(role_permissions) <= held
