"""Fixtures for the gradebook tests: a published course, its instructor, two learners,
and helpers to enrol people and build items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership
from syllabus.grades.models import GradeCategory, GradeItem
from tests.factories import UserFactory

_counter = {"n": 0}


def make_course(**extra: Any) -> Course:
    _counter["n"] += 1
    n = _counter["n"]
    return Course.objects.create(
        title=extra.pop("title", f"Grades course {n}"),
        slug=f"grades-course-{n}",
        status=Course.Status.PUBLISHED,
        **extra,
    )


def enrol(user: Any, course: Course, role: str = "learner", **extra: Any) -> CourseMembership:
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role), **extra
    )


def make_item(
    course: Course,
    *,
    title: str = "Item",
    max_points: str | Decimal = "100",
    category: GradeCategory | None = None,
    **extra: Any,
) -> GradeItem:
    return GradeItem.objects.create(
        course=course,
        title=title,
        max_points=Decimal(str(max_points)),
        category=category,
        position=GradeItem.objects.filter(course=course).count(),
        **extra,
    )


@pytest.fixture
def course(db) -> Course:
    return make_course(title="Oceanography")


@pytest.fixture
def instructor(course):
    user = UserFactory(email="ines@example.org", full_name="Ines Instructor")
    enrol(user, course, "instructor")
    return user


@pytest.fixture
def student(course):
    user = UserFactory(email="sam@example.org", full_name="Sam Student")
    enrol(user, course)
    return user


@pytest.fixture
def other_student(course):
    user = UserFactory(email="olga@example.org", full_name="Olga Other")
    enrol(user, course)
    return user
