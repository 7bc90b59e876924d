"""Writes to the gradebook. Quizzes and assignments call ``source_item_sync`` and
``source_grade_record``; everything else here is used by the gradebook's own pages and
API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from syllabus.audit.services import record
from syllabus.courses.models import Course
from syllabus.grades.models import Grade, GradeItem, LearnerVisibility

SOURCE_KINDS = (GradeItem.Kind.QUIZ, GradeItem.Kind.ASSIGNMENT)


@transaction.atomic
def source_item_sync(
    *,
    course: Course,
    kind: str,
    source_id: int,
    title: str,
    max_points: Decimal,
    due_at: datetime | None = None,
    learner_visibility: str = LearnerVisibility.ALWAYS,
    learner_visible_from: datetime | None = None,
) -> GradeItem:
    """Create or update the gradebook item of a quiz or assignment (its title, maximum,
    due date and when learners see their grade follow the source). Learners' grades are
    kept."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"Grade items from a source are quiz or assignment, not {kind!r}.")
    if max_points <= 0:
        raise ValidationError("A graded item needs a maximum above zero points.")
    item, created = GradeItem.objects.select_for_update().get_or_create(
        kind=kind,
        source_id=source_id,
        defaults={
            "course": course,
            "title": title[:200],
            "max_points": max_points,
            "due_at": due_at,
            "learner_visibility": learner_visibility,
            "learner_visible_from": learner_visible_from,
            "position": GradeItem.objects.filter(course=course).count(),
        },
    )
    if not created:
        changed = []
        for field, value in (
            ("title", title[:200]),
            ("max_points", max_points),
            ("due_at", due_at),
        ):
            if getattr(item, field) != value:
                setattr(item, field, value)
                changed.append(field)
        if changed:
            item.save(update_fields=[*changed, "updated_at"])
    return item


def source_item(kind: str, source_id: int) -> GradeItem | None:
    return GradeItem.objects.filter(kind=kind, source_id=source_id).first()


@transaction.atomic
def source_grade_record(
    *,
    kind: str,
    source_id: int,
    user: Any,
    points: Decimal | None,
    actor: Any = None,
    graded_at: datetime | None = None,
) -> Grade:
    """Write a learner's result on a quiz or assignment into the gradebook (``points``
    None clears it, for example when the counted attempt is being regraded). An override
    set by staff stays in force. Audited as ``grade.recorded``; a course whose completion
    needs a pass grade is re-checked after commit."""
    item = GradeItem.objects.select_related("course").get(kind=kind, source_id=source_id)
    if points is not None and (points < 0 or points > item.max_points):
        raise ValidationError(f"Points must be between 0 and {item.max_points} for {item.title!r}.")
    grade, _ = Grade.objects.select_for_update().get_or_create(
        item=item, user=user, defaults={"course_id": item.course_id}
    )
    previous = grade.points
    grade.points = points
    grade.graded_at = graded_at or timezone.now() if points is not None else None
    grade.graded_by = actor if points is not None else None
    grade.save()
    if previous != points:
        record(
            actor=actor,
            action="grade.recorded",
            target=item,
            details={
                "learner": user.public_id,
                "points": None if points is None else str(points),
                "previous": None if previous is None else str(previous),
                "max_points": str(item.max_points),
            },
        )
    _refresh_completion_on_commit(user, item.course)
    return grade


def _refresh_completion_on_commit(user: Any, course: Course) -> None:
    if course.completion_rule != Course.CompletionRule.PASS_GRADE:
        return

    def refresh() -> None:
        from syllabus.learning.services import course_completion_refresh

        course_completion_refresh(user=user, course=course)

    transaction.on_commit(refresh)
