"""Every write to courses and course roles, with its audit event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from syllabus.accounts.mfa import mfa_requirement_refresh
from syllabus.accounts.models import Role, User
from syllabus.accounts.permissions import has_site_perm
from syllabus.accounts.roles import COURSE
from syllabus.audit.services import record
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.permissions import can_grant_course_role, forget_course_permissions

INSTRUCTOR = "instructor"
LEARNER = "learner"


@transaction.atomic
def course_create(*, actor: User | None, title: str, summary: str = "") -> Course:
    """Create a draft course; a creating person becomes its first instructor."""
    if actor is not None and not has_site_perm(actor, "course.create"):
        raise PermissionDenied("Creating courses needs the course.create permission.")
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the course a title."})
    base = slugify(title)[:180] or "course"
    slug, n = base, 1
    while Course.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    course = Course.objects.create(
        title=title, slug=slug, summary=summary.strip(), created_by=actor
    )
    record(actor=actor, action="course.created", target=course, details={"title": title})
    if actor is not None:  # the creator holds course.create, which covers teaching it
        _role_set(actor=actor, course=course, user=actor, role=Role.objects.get(slug=INSTRUCTOR))
    return course


@transaction.atomic
def course_role_set(*, actor: Any, course: Course, user: User, role: Role) -> CourseMembership:
    """Give ``user`` ``role`` in ``course`` (replacing the role they had there); audited.

    ``actor`` None means the operator (CLI, system job, demo data).
    """
    if role.scope != COURSE:
        raise ValidationError(f"{role.name} is a site role: grant it on the People page.")
    if not user.is_active:
        raise ValidationError("This account is deactivated.")
    if not can_grant_course_role(actor, course, role.permissions):
        raise PermissionDenied(f"You cannot make people {role.name} in this course.")
    return _role_set(actor=actor, course=course, user=user, role=role)


def _role_set(*, actor: Any, course: Course, user: User, role: Role) -> CourseMembership:
    membership = (
        CourseMembership.objects.select_for_update().filter(course=course, user=user).first()
    )
    if membership is not None and membership.role_id == role.pk:
        return membership
    if membership is None:
        membership = CourseMembership.objects.create(
            course=course, user=user, role=role, granted_by=actor if actor else None
        )
    else:
        membership.role = role
        membership.granted_by = actor if actor else None
        membership.save(update_fields=["role", "granted_by", "updated_at"])
    action = "enrolment.created" if role.slug == LEARNER else "role.granted"
    record(
        actor=actor,
        action=action,
        target=user,
        details={"course": course.public_id, "role": role.slug},
    )
    forget_course_permissions(user)
    mfa_requirement_refresh(user)
    return membership


@transaction.atomic
def course_role_remove(*, actor: Any, course: Course, user: User) -> bool:
    membership = (
        CourseMembership.objects.select_related("role").filter(course=course, user=user).first()
    )
    if membership is None:
        return False
    if not can_grant_course_role(actor, course, membership.role.permissions):
        raise PermissionDenied(f"You cannot remove {membership.role.name}s from this course.")
    slug = membership.role.slug
    membership.delete()
    action = "enrolment.removed" if slug == LEARNER else "role.removed"
    record(
        actor=actor, action=action, target=user, details={"course": course.public_id, "role": slug}
    )
    forget_course_permissions(user)
    mfa_requirement_refresh(user)
    return True
