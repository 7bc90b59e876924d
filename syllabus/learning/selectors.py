"""Reads for the learning pages: course outlines with each learner's state, the cached
progress summary behind the dashboard, and the roster.

The progress summary is cached per user. Rather than deleting keys (a course change
would have to find every learner's key), each cached summary remembers the *tokens* it
was built with: one per user (changed by the progress services) and one per course
(changed when the course's content changes, see ``apps.py``), plus the list of courses
the person learns in (read from the database on each request: one indexed query). Any
difference means the summary is rebuilt, so a change is visible on the next request.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, FilteredRelation, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from syllabus.courses.models import Announcement, Course, CourseMembership, Lesson
from syllabus.courses.selectors import course_outline
from syllabus.learning.access import active_learner_q, lock_reason
from syllabus.learning.directory import with_opt_out
from syllabus.learning.models import CourseProgress, LessonProgress

SUMMARY_VERSION = 1
# Lessons open with time (``available_from``), so a summary is also rebuilt now and then.
SUMMARY_SECONDS = 600
DUE_SOON_DAYS = 14


# --- Outline ---------------------------------------------------------------------------------


@dataclass
class LessonState:
    id: int
    public_id: str
    title: str
    kind: str
    is_required: bool
    is_published: bool  # False only in a staff preview
    due_at: datetime | None
    estimated_minutes: int | None
    completed: bool = False
    locked_reason: str = ""
    current: bool = False
    url: str = ""  # the lesson's page


# A stand-in public id: reversed once, then replaced by each lesson's id.
_URL_HOLE = "les_0hole0"


def lesson_url_maker() -> Callable[[str], str]:
    """``reverse("learning:lesson", args=[public_id])`` for a whole outline at the cost of
    one ``reverse``: an outline of 25 lessons spent about 0.5 ms (6 % of a lesson page)
    reversing the same pattern. Public ids are URL-safe (``syllabus.core.models``), so
    the id goes into the URL as it is, as ``reverse`` would put it."""
    pattern = reverse("learning:lesson", args=[_URL_HOLE])
    head, _, tail = pattern.partition(_URL_HOLE)
    return lambda public_id: f"{head}{public_id}{tail}"


@dataclass
class ModuleState:
    public_id: str
    title: str
    is_published: bool
    lessons: list[LessonState] = field(default_factory=list)


def outline_states(
    course: Course,
    *,
    staff: bool,
    completed: Collection[int],
    current_id: int | None = None,
    now: datetime | None = None,
) -> list[ModuleState]:
    """The outline a person sees: learners get published modules and lessons with their
    completion ticks and locks; staff get everything (drafts marked), never locked."""
    now = now or timezone.now()
    outline = course_outline(course)
    lesson_url = lesson_url_maker()
    published = {
        lesson["id"]: lesson["title"]
        for module in outline
        if module["is_published"]
        for lesson in module["lessons"]
        if lesson["is_published"]
    }
    states: list[ModuleState] = []
    for module in outline:
        if not (staff or module["is_published"]):
            continue
        state = ModuleState(module["public_id"], module["title"], module["is_published"])
        for lesson in module["lessons"]:
            if not (staff or lesson["is_published"]):
                continue
            prerequisite_id = lesson["prerequisite_id"]
            reason = ""
            if not staff:
                reason = lock_reason(
                    lesson=lesson,
                    module_available_from=module["available_from"],
                    course_available_from=course.available_from,
                    prerequisite=(
                        (prerequisite_id, published[prerequisite_id])
                        if prerequisite_id in published
                        else None
                    ),
                    completed=completed,
                    now=now,
                )
            state.lessons.append(
                LessonState(
                    id=lesson["id"],
                    public_id=lesson["public_id"],
                    title=lesson["title"],
                    kind=lesson["kind"],
                    is_required=lesson["is_required"],
                    is_published=lesson["is_published"] and module["is_published"],
                    due_at=lesson["due_at"],
                    estimated_minutes=lesson["estimated_minutes"],
                    completed=lesson["id"] in completed,
                    locked_reason=reason,
                    current=lesson["id"] == current_id,
                    url=lesson_url(lesson["public_id"]),
                )
            )
        states.append(state)
    return states


def flat_lessons(states: Iterable[ModuleState]) -> list[LessonState]:
    return [lesson for module in states for lesson in module.lessons]


def first_open_lesson(states: Iterable[ModuleState]) -> LessonState | None:
    """Where a learner should go next: the first open lesson not completed yet, else the
    first open one."""
    lessons = [lesson for lesson in flat_lessons(states) if not lesson.locked_reason]
    for lesson in lessons:
        if not lesson.completed:
            return lesson
    return lessons[0] if lessons else None


def completed_lesson_ids(user: Any, course_ids: Iterable[int]) -> set[int]:
    return set(
        LessonProgress.objects.filter(
            user=user, course_id__in=list(course_ids), completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )


def required_lesson_ids(course_id: int) -> QuerySet[Lesson, int]:
    """The lessons that count for progress: required, published, in a published module."""
    return Lesson.objects.filter(
        course_id=course_id, is_required=True, is_published=True, module__is_published=True
    ).values_list("pk", flat=True)


def required_fingerprint(course_id: int) -> str:
    """What course progress depends on: the required published lessons and the
    completion rule. When a course changes but this does not (a new enrolment, a new
    title), nobody's progress needs recounting."""
    lessons = list(required_lesson_ids(course_id).order_by("pk"))
    rule = Course.objects.filter(pk=course_id).values_list("completion_rule", "pass_grade").first()
    raw = json.dumps([lessons, rule], default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _fingerprint_key(course_id: int) -> str:
    return f"learning:required:{course_id}"


def counted_fingerprint(course_id: int) -> str | None:
    """The fingerprint the course's progress rows were last recounted with."""
    value = cache.get(_fingerprint_key(course_id))
    return value if isinstance(value, str) else None


def remember_counted_fingerprint(course_id: int, fingerprint: str) -> None:
    cache.set(_fingerprint_key(course_id), fingerprint, timeout=None)


# --- Progress summary (cached) ----------------------------------------------------------------


def _user_token_key(user_id: int) -> str:
    return f"learning:progress:user:{user_id}"


def _course_token_key(course_id: int) -> str:
    return f"learning:progress:course:{course_id}"


def _summary_key(user_id: int) -> str:
    return f"learning:summary:{user_id}"


def forget_progress_summary(user_id: int) -> None:
    """The user's progress changed: their summary is rebuilt on the next read (after
    commit, so a reader never caches the state from before the change)."""
    transaction.on_commit(
        lambda: cache.set(_user_token_key(user_id), uuid.uuid4().hex, timeout=None)
    )


def forget_course_summaries(course_id: int) -> None:
    """A course's content changed: every learner's summary that includes it is rebuilt."""
    cache.set(_course_token_key(course_id), uuid.uuid4().hex, timeout=None)


def learning_course_ids(user: Any, now: datetime | None = None) -> list[int]:
    """Published courses in which the user is an active learner (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(
        CourseMembership.objects.filter(
            active_learner_q(now), user=user, course__status=Course.Status.PUBLISHED
        ).values_list("course_id", flat=True)
    )


def progress_summary(user: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per course the user learns in: percent, counts, completion date, last and next
    lesson, and the lessons with a due date; in title order. Plain data (cacheable)."""
    course_ids = learning_course_ids(user, now)
    if not course_ids:
        return []
    keys = [_user_token_key(user.pk)] + [_course_token_key(c) for c in course_ids]
    found = cache.get_many(keys)
    tokens = [found.get(key) for key in keys]
    stamp = (SUMMARY_VERSION, tuple(course_ids), tuple(tokens))
    cached = cache.get(_summary_key(user.pk))
    if isinstance(cached, dict) and cached.get("stamp") == stamp:
        items: list[dict[str, Any]] = cached["items"]
        return items
    items = _build_summary(user, course_ids, now or timezone.now())
    cache.set(_summary_key(user.pk), {"stamp": stamp, "items": items}, SUMMARY_SECONDS)
    return items


def _build_summary(user: Any, course_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    courses = {
        c["id"]: c
        for c in Course.objects.filter(pk__in=course_ids).values(
            "id", "public_id", "title", "available_from"
        )
    }
    progress: dict[int, dict[str, Any]] = {
        p["course_id"]: dict(p)
        for p in CourseProgress.objects.filter(user=user, course_id__in=course_ids).values(
            "course_id", "percent", "completed_lessons", "required_lessons", "completed_at",
            "last_activity_at", "last_lesson__public_id", "last_lesson__title",
            "last_lesson__is_published",
        )
    }  # fmt: skip
    lessons_by_course: dict[int, list[dict[str, Any]]] = {c: [] for c in course_ids}
    for values in (
        Lesson.objects.filter(
            course_id__in=course_ids, is_published=True, module__is_published=True
        )
        .order_by("course_id", "module__position", "module_id", "position", "pk")
        .values(
            "id", "public_id", "title", "course_id", "available_from", "due_at",
            "prerequisite_id", "is_required", "module__available_from",
        )
    ):  # fmt: skip
        lessons_by_course[values["course_id"]].append(dict(values))
    completed = completed_lesson_ids(user, course_ids)
    items: list[dict[str, Any]] = []
    for course_id in course_ids:
        course = courses[course_id]
        lessons = lessons_by_course[course_id]
        titles = {lesson["id"]: lesson["title"] for lesson in lessons}
        row: dict[str, Any] = progress.get(course_id, {})
        next_lesson = None
        for lesson in lessons:
            if lesson["id"] in completed:
                continue
            prerequisite_id = lesson["prerequisite_id"]
            reason = lock_reason(
                lesson=lesson,
                module_available_from=lesson["module__available_from"],
                course_available_from=course["available_from"],
                prerequisite=(prerequisite_id, titles[prerequisite_id])
                if prerequisite_id in titles
                else None,
                completed=completed,
                now=now,
            )
            if not reason:
                next_lesson = {"public_id": lesson["public_id"], "title": lesson["title"]}
                break
        last = None
        if row.get("last_lesson__public_id") and row.get("last_lesson__is_published"):
            last = {"public_id": row["last_lesson__public_id"], "title": row["last_lesson__title"]}
        required = sum(1 for lesson in lessons if lesson["is_required"])
        items.append(
            {
                "course_id": course_id,
                "course_public_id": course["public_id"],
                "title": course["title"],
                "percent": row.get("percent", 0),
                "completed_lessons": row.get("completed_lessons", 0),
                "required_lessons": row.get("required_lessons", required),
                "completed_at": row.get("completed_at"),
                "last_activity_at": row.get("last_activity_at"),
                "last_lesson": last,
                "next_lesson": next_lesson,
                "due": [
                    {
                        "public_id": lesson["public_id"],
                        "title": lesson["title"],
                        "due_at": lesson["due_at"],
                        "completed": lesson["id"] in completed,
                    }
                    for lesson in lessons
                    if lesson["due_at"] is not None
                ],
            }
        )
    items.sort(key=lambda item: str(item["title"]).casefold())
    return items


def upcoming_due(
    summary: list[dict[str, Any]], now: datetime | None = None, days: int = DUE_SOON_DAYS
) -> list[dict[str, Any]]:
    """Lessons not completed yet that are due within ``days`` (overdue ones excluded),
    soonest first, each with its course."""
    now = now or timezone.now()
    until = now + timedelta(days=days)
    due = [
        {**lesson, "course_title": item["title"], "course_public_id": item["course_public_id"]}
        for item in summary
        if item["completed_at"] is None
        for lesson in item["due"]
        if not lesson["completed"] and now <= lesson["due_at"] <= until
    ]
    return sorted(due, key=lambda lesson: lesson["due_at"])


def recent_announcements(course_ids: list[int], limit: int = 5) -> list[Announcement]:
    if not course_ids:
        return []
    return list(
        Announcement.objects.filter(course_id__in=course_ids)
        .select_related("course")
        .only("public_id", "title", "body_html", "created_at", "course__title", "course__public_id")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- Roster ------------------------------------------------------------------------------------

# Sort keys the roster accepts (anything else falls back to the default); empty values
# (no cohort, no activity yet) sort last either way.
ROSTER_SORTS: dict[str, Any] = {
    "name": Lower("user__full_name"),
    "email": F("user__email"),
    "cohort": F("cohort__name"),
    "enrolled": F("created_at"),
    "percent": F("progress_percent"),
    "lessons": F("progress_completed"),
    "activity": F("progress_activity"),
    "completed": F("progress_completed_at"),
}
DEFAULT_SORT = "name"


def roster_sort(value: str) -> tuple[str, bool]:
    """A whitelisted sort key and direction from a ``sort`` parameter (``-percent``)."""
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in ROSTER_SORTS:
        return DEFAULT_SORT, False
    return key, descending


def roster(
    course: Course,
    *,
    sort: str = DEFAULT_SORT,
    cohort: str = "",
    now: datetime | None = None,
) -> QuerySet[CourseMembership]:
    """The course's active learners with their progress (one row per learner, one query
    per page whatever the size: progress comes through a filtered LEFT JOIN)."""
    key, descending = roster_sort(sort)
    qs = (
        CourseMembership.objects.filter(active_learner_q(now), course=course)
        .select_related("user", "cohort")
        .annotate(
            progress=FilteredRelation(
                "user__course_progress",
                condition=Q(user__course_progress__course_id=course.pk),
            )
        )
        .annotate(
            progress_percent=Coalesce(F("progress__percent"), Value(0)),
            progress_completed=Coalesce(F("progress__completed_lessons"), Value(0)),
            progress_activity=F("progress__last_activity_at"),
            progress_completed_at=F("progress__completed_at"),
        )
    )
    if cohort:
        qs = (
            qs.filter(cohort__isnull=True)
            if cohort == "none"
            else qs.filter(cohort__public_id=cohort)
        )
    expression = ROSTER_SORTS[key]
    first = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return with_opt_out(qs).order_by(first, "user__email", "pk")
