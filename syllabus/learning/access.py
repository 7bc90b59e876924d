"""Who may open a lesson, and why not: the one predicate the pages, the API and the
progress services share.

Order of the checks (the first that fails gives the answer):

1. Drafts are never revealed: an unpublished course is *hidden* (the pages answer 404)
   from those who cannot see it in the catalog (``courses_visible_to``).
2. Course staff (``course.edit`` or ``course.view_learners`` in the course, site-wide or
   by course role) may open every lesson, drafts included, to preview it; their visits
   record no progress. For everyone else a draft module or lesson is hidden too.
3. Otherwise the person must be an active learner (a ``learner`` membership whose end
   date is empty or in the future), the course published and open, the module and the
   lesson available (``available_from`` passed), and the lesson's prerequisite (when it
   is itself published) completed. Each refusal carries a reason a learner can act on.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.courses.permissions import (
    course_membership,
    courses_visible_to,
    has_course_perm,
)
from syllabus.courses.services_enrolment import active_learner_q as enrolment_active_learner_q

LEARNER_ROLE = "learner"


def active_learner_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Memberships that make someone a learner today (role ``learner``, not ended): the
    enrolment app's rule, so an expired learner is out before the expiry job runs.

    ``prefix`` applies the condition through a relation (``"memberships__"``).
    """
    return enrolment_active_learner_q(now=now, prefix=prefix)


def learner_membership(user: Any, course: Course) -> CourseMembership | None:
    """The user's learner membership in the course (active or ended), read with the
    user's other memberships once per request (``user_memberships``)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = course_membership(user, course.pk)
    return membership if membership is not None and membership.role.slug == LEARNER_ROLE else None


def is_active_learner(user: Any, course: Course, now: datetime | None = None) -> bool:
    membership = learner_membership(user, course)
    now = now or timezone.now()
    return membership is not None and (membership.ends_at is None or membership.ends_at > now)


def is_course_staff(user: Any, course: Course) -> bool:
    """May see every lesson (drafts too) and the learners' progress."""
    if not getattr(user, "is_authenticated", False):
        return False
    return has_course_perm(user, course, "course.edit") or has_course_perm(
        user, course, "course.view_learners"
    )


@dataclass(frozen=True)
class Access:
    """The answer for one person and one lesson."""

    allowed: bool
    reason: str = ""
    hidden: bool = False  # the person may not learn that the lesson exists: 404
    staff: bool = False  # a preview: nothing is recorded
    code: str = "forbidden"  # API error code when refused


HIDDEN = Access(False, _("Not found."), hidden=True, code="not_found")


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def lock_reason(
    *,
    lesson: Lesson | dict[str, Any],
    module_available_from: datetime | None,
    course_available_from: datetime | None,
    prerequisite: tuple[int, str] | None,
    completed: Collection[int],
    now: datetime,
) -> str:
    """Why a published lesson cannot be opened yet by an active learner ('' when it can).

    ``prerequisite`` is ``(lesson id, title)`` of a *published* prerequisite, or None.
    Shared by the lesson page (one lesson) and the outline (every lesson at once).
    """
    available_from = lesson["available_from"] if isinstance(lesson, dict) else lesson.available_from
    if course_available_from and course_available_from > now:
        return _("This course opens on %(when)s.") % {"when": _when(course_available_from)}
    if module_available_from and module_available_from > now:
        return _("This module opens on %(when)s.") % {"when": _when(module_available_from)}
    if available_from and available_from > now:
        return _("This lesson opens on %(when)s.") % {"when": _when(available_from)}
    if prerequisite is not None and prerequisite[0] not in completed:
        return _("This lesson opens after you complete “%(title)s”.") % {"title": prerequisite[1]}
    return ""


def lesson_access(
    user: Any,
    lesson: Lesson,
    *,
    completed: Collection[int] | None = None,
    now: datetime | None = None,
) -> Access:
    """May ``user`` open ``lesson``? (``lesson`` with its course and module loaded.)

    ``completed``: the ids of the lessons the user completed in the course, when the
    caller has them already (saves a query).
    """
    now = now or timezone.now()
    course: Course = lesson.course
    module: Module = lesson.module
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(False, _("Sign in to open lessons."), code="not_authenticated")
    if course.status != Course.Status.PUBLISHED and not _course_visible(user, course):
        return HIDDEN  # a draft course its viewer may not know about
    if is_course_staff(user, course):
        return Access(True, staff=True)
    membership = learner_membership(user, course)
    if course.status != Course.Status.PUBLISHED:
        if membership is None:
            return HIDDEN
        return Access(False, _("This course is not open at the moment."))
    if not (lesson.is_published and module.is_published):
        return HIDDEN
    if membership is None:
        return Access(False, _("Enrol in this course to open its lessons."))
    if membership.ends_at is not None and membership.ends_at <= now:
        return Access(
            False,
            _("Your enrolment in this course ended on %(when)s.")
            % {"when": _when(membership.ends_at)},
        )
    prerequisite = _published_prerequisite(lesson)
    if prerequisite is not None and completed is None:
        from syllabus.learning.models import LessonProgress

        completed = set(
            LessonProgress.objects.filter(
                user=user, lesson_id=prerequisite[0], completed_at__isnull=False
            ).values_list("lesson_id", flat=True)
        )
    reason = lock_reason(
        lesson=lesson,
        module_available_from=module.available_from,
        course_available_from=course.available_from,
        prerequisite=prerequisite,
        completed=completed or (),
        now=now,
    )
    if reason:
        return Access(False, reason, code="lesson_locked")
    return Access(True)


def _course_visible(user: Any, course: Course) -> bool:
    return Course.objects.filter(courses_visible_to(user), pk=course.pk).exists()


def _published_prerequisite(lesson: Lesson) -> tuple[int, str] | None:
    """The prerequisite that binds: one that learners can see and complete. A draft
    prerequisite (or one in a draft module, or another course) would lock the lesson for
    good, so it does not count."""
    if lesson.prerequisite_id is None:
        return None
    prerequisite = (
        Lesson.objects.filter(
            pk=lesson.prerequisite_id,
            course_id=lesson.course_id,
            is_published=True,
            module__is_published=True,
        )
        .values_list("pk", "title")
        .first()
    )
    return (prerequisite[0], prerequisite[1]) if prerequisite else None


def can_open_lesson(user: Any, lesson: Lesson) -> tuple[bool, str]:
    """``(allowed, reason)``: the short form of ``lesson_access``."""
    access = lesson_access(user, lesson)
    return access.allowed, access.reason
