"""Course permissions: site-wide permissions plus the role a person holds in the course.

The same predicates serve views, the API, the admin and the CLI; ``courses_visible_to``
is the queryset filter every course list applies.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from syllabus.accounts.permissions import site_permissions
from syllabus.accounts.roles import PERMISSIONS
from syllabus.courses.models import Course, CourseMembership

# A person's memberships are read once per request (see ``user_memberships``) unless they
# hold more than this many: a teacher of hundreds of courses is asked about one at a time.
MEMBERSHIPS_PER_REQUEST = 200
_KEY = "_course_memberships"


def user_memberships(user: Any) -> dict[int, CourseMembership] | None:
    """The user's course memberships with their roles, by course id: one query, kept on
    the user object for the rest of the request. Course permissions, the learner checks
    and the "Teach" link of every page all read it, so a lesson page asks once instead
    of once per question. None for someone with more than ``MEMBERSHIPS_PER_REQUEST``
    (the callers then query the one course they need)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return {}
    if _KEY not in user.__dict__:
        rows = list(
            CourseMembership.objects.filter(user=user)
            .select_related("role")
            .only(
                "pk", "user", "course_id", "ends_at", "cohort_id", "created_at",
                "role__slug", "role__permissions",
            )[: MEMBERSHIPS_PER_REQUEST + 1]
        )  # fmt: skip
        user.__dict__[_KEY] = (
            None if len(rows) > MEMBERSHIPS_PER_REQUEST else {m.course_id: m for m in rows}
        )
    memberships: dict[int, CourseMembership] | None = user.__dict__[_KEY]
    return memberships


def course_membership(user: Any, course_id: int) -> CourseMembership | None:
    """The user's membership in one course (any role), with its role."""
    memberships = user_memberships(user)
    if memberships is not None:
        return memberships.get(course_id)
    cache: dict[int, CourseMembership | None] = user.__dict__.setdefault(_KEY + "_one", {})
    if course_id not in cache:
        cache[course_id] = (
            CourseMembership.objects.filter(user=user, course_id=course_id)
            .select_related("role")
            .first()
        )
    return cache[course_id]


def course_role_slugs(user: Any) -> set[str]:
    """Slugs of the course roles a user holds in any course (for the MFA policy). Read
    fresh, not from ``user_memberships``: the policy runs while roles are being given."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return set()
    return set(CourseMembership.objects.filter(user=user).values_list("role__slug", flat=True))


def course_role_permissions(user: Any) -> set[str]:
    """Every permission the user's course roles carry, in any course (for token scopes)."""
    codes: set[str] = set()
    memberships = user_memberships(user)
    if memberships is not None:
        for membership in memberships.values():
            codes.update(membership.role.permissions)
        return codes
    for perms in CourseMembership.objects.filter(user=user).values_list(
        "role__permissions", flat=True
    ):
        codes.update(perms)
    return codes


def course_permissions(user: Any, course: Course) -> frozenset[str]:
    """What ``user`` may do in ``course``: their site permissions and their course role's."""
    codes = site_permissions(user)
    if getattr(user, "is_authenticated", False) and user.is_active:
        membership = course_membership(user, course.pk)
        if membership is not None:
            codes = codes | frozenset(membership.role.permissions)
    return codes


def has_course_perm(user: Any, course: Course, code: str) -> bool:
    if code not in PERMISSIONS:
        raise ValueError(f"Unknown permission {code!r}: add it to syllabus.accounts.roles.")
    return code in course_permissions(user, course)


def forget_course_permissions(user: Any) -> None:
    """The user's memberships changed: the next question reads them again."""
    user.__dict__.pop(_KEY, None)
    user.__dict__.pop(_KEY + "_one", None)


def _membership_changed(sender: Any, instance: CourseMembership, **kwargs: Any) -> None:
    """A membership saved or deleted outside the services (an import, a test helper):
    the user object it was made with forgets its memberships too. Only that object can
    be reached; the services call ``forget_course_permissions`` themselves."""
    if CourseMembership.user.is_cached(instance):
        forget_course_permissions(instance.user)


def connect_signals() -> None:
    post_save.connect(_membership_changed, sender=CourseMembership, dispatch_uid="courses.perms")
    post_delete.connect(
        _membership_changed, sender=CourseMembership, dispatch_uid="courses.perms.delete"
    )


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
