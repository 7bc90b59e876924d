"""Progress rows for demo and load-test learners, consistent with each other and with what
the learning services keep: a learner completes a course's required published lessons in
course order (so lesson prerequisites are always met), may have the next one open, and
their CourseProgress says ``completed_lessons`` of ``required_lessons``, ``percent`` =
completed * 100 // required (100 only when every required lesson is complete)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, OuterRef, Subquery

from syllabus.courses.models import CourseMembership, Lesson
from syllabus.learning.models import CourseProgress, LessonProgress


@dataclass(frozen=True)
class Step:
    """One required, published lesson of a course, in course order."""

    lesson_id: int
    video_seconds: float | None  # a video lesson's length; None for other kinds


def course_plans(course_ids: Iterable[int]) -> dict[int, list[Step]]:
    """Each course's required published lessons (in published modules), in order."""
    ids = list(course_ids)
    plans: dict[int, list[Step]] = {pk: [] for pk in ids}
    rows = (
        Lesson.objects.filter(
            course_id__in=ids, is_published=True, is_required=True, module__is_published=True
        )
        .order_by("course_id", "module__position", "module_id", "position", "pk")
        .values_list("pk", "course_id", "kind", "video_duration_seconds")
    )
    for pk, course_id, kind, seconds in rows:
        video = float(seconds or 60) if kind == Lesson.Kind.VIDEO else None
        plans[course_id].append(Step(pk, video))
    return plans


def progress_rows(
    *,
    user_id: int,
    course_id: int,
    plan: list[Step],
    completed: int,
    opened_next: bool,
    now: datetime,
    rng: random.Random,
) -> tuple[list[LessonProgress], CourseProgress]:
    """Rows for a learner who completed the first ``completed`` steps of ``plan`` and,
    with ``opened_next``, opened the one after (half-watched, for a video)."""
    required = len(plan)
    completed = max(0, min(completed, required))
    rows: list[LessonProgress] = []
    started = now - timedelta(days=rng.uniform(3, 60))
    gap = (now - timedelta(hours=2) - started) / (completed + 1)
    last_lesson_id: int | None = None
    last_activity: datetime | None = None
    finished: datetime | None = None
    for index, step in enumerate(plan[:completed]):
        finished = started + gap * (index + 1)
        row = LessonProgress(
            user_id=user_id, lesson_id=step.lesson_id, course_id=course_id, completed_at=finished
        )
        if step.video_seconds is not None:
            row.video_position_seconds = step.video_seconds
            row.video_watched_seconds = step.video_seconds
            row.video_watched_ranges = [[0.0, step.video_seconds]]
        rows.append(row)
        last_lesson_id, last_activity = step.lesson_id, finished
    if opened_next and completed < required:
        step = plan[completed]
        row = LessonProgress(user_id=user_id, lesson_id=step.lesson_id, course_id=course_id)
        if step.video_seconds is not None:
            watched = round(step.video_seconds * rng.uniform(0.1, 0.6), 1)
            row.video_position_seconds = watched
            row.video_watched_seconds = watched
            row.video_watched_ranges = [[0.0, watched]]
        rows.append(row)
        last_lesson_id, last_activity = step.lesson_id, now
    summary = CourseProgress(
        user_id=user_id,
        course_id=course_id,
        completed_lessons=completed,
        required_lessons=required,
        percent=completed * 100 // required if required else 0,
        last_lesson_id=last_lesson_id,
        last_activity_at=last_activity,
        completed_at=finished if required and completed == required else None,
    )
    return rows, summary


def backdate_completed(user_ids: Iterable[int]) -> None:
    """Inserts stamp rows with the current time. Move completed lessons' opening times to
    their completion (opened a quarter of an hour before), and enrolments to the day
    before the learner first opened a lesson of the course: two queries in all."""
    ids = list(user_ids)
    LessonProgress.objects.filter(user_id__in=ids, completed_at__isnull=False).update(
        first_opened_at=F("completed_at") - timedelta(minutes=15),
        last_opened_at=F("completed_at"),
    )
    first_opened = (
        LessonProgress.objects.filter(user_id=OuterRef("user_id"), course_id=OuterRef("course_id"))
        .order_by("first_opened_at")
        .values("first_opened_at")[:1]
    )
    CourseMembership.objects.filter(
        user_id__in=ids, role__slug="learner", created_at__gt=Subquery(first_opened)
    ).update(created_at=Subquery(first_opened) - timedelta(days=1))
