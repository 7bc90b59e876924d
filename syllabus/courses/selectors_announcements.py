"""Reading course announcements, and who may read and write them.

Readers: the course's members whose access has not ended (learners, teaching assistants,
instructors) and staff who follow or edit the course (``course.view_learners`` or
``course.edit``, from a course role or a site role). Writers: ``course.edit``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from syllabus.core.markdown import markdown_plain_text
from syllabus.courses.cache import cached, course_key
from syllabus.courses.models import Announcement, Course, CourseMembership
from syllabus.courses.permissions import course_permissions, courses_visible_to

PANEL_SIZE = 3
PANEL_EXCERPT = 240


def active_membership_q(now: Any = None) -> Q:
    """Memberships whose access has not ended."""
    return Q(ends_at__isnull=True) | Q(ends_at__gt=now or timezone.now())


def can_read_announcements(user: Any, course: Course) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    held = course_permissions(user, course)
    if "course.edit" in held or "course.view_learners" in held:
        return True
    return (
        CourseMembership.objects.filter(course=course, user=user)
        .filter(active_membership_q())
        .exists()
    )


def can_post_announcements(user: Any, course: Course) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and "course.edit" in course_permissions(
        user, course
    )


def announcement_list(*, course: Course) -> QuerySet[Announcement]:
    """A course's announcements, newest first, with their authors (one query a page)."""
    return (
        Announcement.objects.filter(course=course)
        .select_related("author")
        .order_by("-created_at", "-pk")
    )


def announcement_get(*, course: Course, public_id: str) -> Announcement | None:
    return announcement_list(course=course).filter(public_id=public_id).first()


def announcement_visible(*, user: Any, public_id: str) -> Announcement | None:
    """The announcement if its course is visible to ``user`` (reading still needs
    ``can_read_announcements``); None answers 404 and reveals nothing."""
    return (
        Announcement.objects.filter(
            public_id=public_id, course__in=Course.objects.filter(courses_visible_to(user))
        )
        .select_related("author", "course")
        .first()
    )


def panel_key(course_id: int) -> str:
    return course_key(course_id, "announcements")


def latest_announcements(course: Course) -> list[dict[str, Any]]:
    """The newest few, as plain data for the course page's panel (cached per course;
    the announcement services forget it when they change one)."""

    def build() -> list[dict[str, Any]]:
        return [
            {
                "public_id": a.public_id,
                "title": a.title,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
                "author": a.author.get_full_name() if a.author else "",
                "excerpt": _excerpt(a.body),
            }
            for a in announcement_list(course=course)[:PANEL_SIZE]
        ]

    return cached(panel_key(course.pk), build)


def _excerpt(body: str) -> str:
    text = " ".join(markdown_plain_text(body).split())
    if len(text) <= PANEL_EXCERPT:
        return text
    return text[: PANEL_EXCERPT - 1].rsplit(" ", 1)[0] + "…"
