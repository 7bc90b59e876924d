"""Reads of the gradebook: the staff grid, a learner's grades, the course grade source.

Every list here costs a fixed number of queries whatever the number of learners or items:
memberships (one page), items, categories, settings and grades are each read once, and
the totals are computed in Python (``calculation``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services_enrolment import active_learner_q
from syllabus.grades.calculation import CourseResult, Score, course_result
from syllabus.grades.models import (
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeItem,
    LearnerVisibility,
)


def gradebook_settings(course: Course) -> GradebookSettings:
    """The course's settings, or the defaults (unsaved) when it has never changed them."""
    return GradebookSettings.objects.filter(course=course).first() or GradebookSettings(
        course=course
    )


def course_items(course: Course) -> list[GradeItem]:
    return list(GradeItem.objects.filter(course=course).select_related("category"))


def course_categories(course: Course) -> list[GradeCategory]:
    return list(GradeCategory.objects.filter(course=course))


def is_released(item: GradeItem, now: datetime | None = None) -> bool:
    """May learners see their grade on this item now?"""
    if item.learner_visibility == LearnerVisibility.ALWAYS:
        return True
    if item.learner_visibility == LearnerVisibility.NEVER:
        return False
    now = now or timezone.now()
    return item.learner_visible_from is not None and item.learner_visible_from <= now


@dataclass
class Scheme:
    """What the arithmetic needs for a course, read once."""

    items: list[GradeItem]
    categories: list[GradeCategory]
    settings: GradebookSettings

    @property
    def weights(self) -> dict[int, Decimal]:
        return {category.pk: category.weight for category in self.categories}

    def result(self, grades: dict[int, Grade], items: Sequence[GradeItem] | None = None) -> Any:
        return course_result(
            (
                Score(
                    category_id=item.category_id,
                    max_points=item.max_points,
                    points=grades[item.pk].effective_points if item.pk in grades else None,
                    counts=item.counts,
                )
                for item in (self.items if items is None else items)
            ),
            weights=self.weights,
            uncategorised_weight=self.settings.uncategorised_weight,
            scale=self.settings.scale,
        )


def scheme(course: Course) -> Scheme:
    return Scheme(
        items=course_items(course),
        categories=course_categories(course),
        settings=gradebook_settings(course),
    )


def learner_grades(user: Any, course: Course) -> dict[int, Grade]:
    """The learner's grades in the course, by item id."""
    return {grade.item_id: grade for grade in Grade.objects.filter(user=user, course=course)}


def course_grade_source(user: Any, course: Course) -> Decimal | None:
    """For ``syllabus.learning.services.register_grade_source``: the learner's course
    percent over every counted, graded item (released or not), or None before any grade."""
    if not getattr(user, "pk", None):
        return None
    if not Grade.objects.filter(user=user, course=course).exists():
        return None
    result: CourseResult = scheme(course).result(learner_grades(user, course))
    return result.percent


def active_learners(course: Course) -> QuerySet[CourseMembership]:
    """The course's current learners, by name then email (the grid's rows)."""
    return (
        CourseMembership.objects.filter(active_learner_q(), course=course)
        .select_related("user")
        .order_by("user__full_name", "user__email", "pk")
    )


@dataclass
class GridRow:
    user: Any
    grades: dict[int, Grade]
    result: CourseResult
    cells: list[tuple[GradeItem, Grade | None]] = field(default_factory=list)


def grid_rows(
    course: Course, memberships: Iterable[CourseMembership], the_scheme: Scheme
) -> list[GridRow]:
    """One row per learner of ``memberships`` (a page), with every item's grade and the
    totals: one query for the grades of the whole page."""
    users = [membership.user for membership in memberships]
    by_user: dict[int, dict[int, Grade]] = {user.pk: {} for user in users}
    for grade in Grade.objects.filter(course=course, user_id__in=list(by_user)):
        by_user[grade.user_id][grade.item_id] = grade
    rows = []
    for user in users:
        grades = by_user[user.pk]
        rows.append(
            GridRow(
                user=user,
                grades=grades,
                result=the_scheme.result(grades),
                cells=[(item, grades.get(item.pk)) for item in the_scheme.items],
            )
        )
    return rows


@dataclass
class LearnerView:
    """A learner's grades in one course, as they may see them."""

    course: Course
    scheme: Scheme
    rows: list[tuple[GradeItem, Grade | None, bool]]  # item, grade, released
    result: CourseResult
    hidden: int  # items whose grades are not released yet


def learner_view(user: Any, course: Course, now: datetime | None = None) -> LearnerView:
    """Released grades only: the totals a learner sees leave out unreleased items, so they
    cannot be used to work out a hidden grade."""
    now = now or timezone.now()
    the_scheme = scheme(course)
    grades = learner_grades(user, course)
    rows = [(item, grades.get(item.pk), is_released(item, now)) for item in the_scheme.items]
    released = [item for item, _, shown in rows if shown]
    return LearnerView(
        course=course,
        scheme=the_scheme,
        rows=rows,
        result=the_scheme.result(grades, released),
        hidden=len(rows) - len(released),
    )


@dataclass
class MyCourse:
    course: Course
    result: CourseResult
    graded: int
    items: int


def my_courses(user: Any, now: datetime | None = None) -> list[MyCourse]:
    """Every course the user learns (or learned) in, with the released course grade: five
    queries whatever the number of courses."""
    now = now or timezone.now()
    memberships = list(
        CourseMembership.objects.filter(user=user, role__slug="learner")
        .select_related("course")
        .order_by("course__title", "pk")
    )
    courses = [membership.course for membership in memberships]
    ids = [course.pk for course in courses]
    items: dict[int, list[GradeItem]] = {pk: [] for pk in ids}
    for item in GradeItem.objects.filter(course_id__in=ids):
        items[item.course_id].append(item)
    categories: dict[int, list[GradeCategory]] = {pk: [] for pk in ids}
    for category in GradeCategory.objects.filter(course_id__in=ids):
        categories[category.course_id].append(category)
    settings = {s.course_id: s for s in GradebookSettings.objects.filter(course_id__in=ids)}
    grades: dict[int, dict[int, Grade]] = {pk: {} for pk in ids}
    for grade in Grade.objects.filter(user=user, course_id__in=ids):
        grades[grade.course_id][grade.item_id] = grade
    out = []
    for course in courses:
        the_scheme = Scheme(
            items=items[course.pk],
            categories=categories[course.pk],
            settings=settings.get(course.pk) or GradebookSettings(course=course),
        )
        released = [item for item in the_scheme.items if is_released(item, now)]
        out.append(
            MyCourse(
                course=course,
                result=the_scheme.result(grades[course.pk], released),
                graded=sum(
                    1
                    for item in released
                    if item.pk in grades[course.pk]
                    and grades[course.pk][item.pk].effective_points is not None
                ),
                items=len(the_scheme.items),
            )
        )
    return out


def grade_history(grade: Grade) -> list[Any]:
    """The grade's past versions, newest first (simple-history), with who changed it."""
    return list(grade.history.select_related("history_user").order_by("-history_date"))
