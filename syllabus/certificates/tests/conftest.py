"""Fixtures for the certificates tests: a published course with one text lesson, a
learner enrolled in it, its instructor, and a helper that completes the course the way a
learner does (through the learning service, so the completion signal fires)."""

from __future__ import annotations

from typing import Any

import pytest

from syllabus.accounts.models import Role
from syllabus.certificates.models import Certificate
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.learning.services import lesson_complete
from tests.factories import UserFactory

_counter = {"n": 0}


def make_course(*, title: str = "", lessons: int = 1) -> Course:
    _counter["n"] += 1
    n = _counter["n"]
    course = Course.objects.create(
        title=title or f"Course {n}", slug=f"cert-course-{n}", status=Course.Status.PUBLISHED
    )
    module = Module.objects.create(course=course, title="Module", is_published=True)
    for position in range(lessons):
        Lesson.objects.create(
            course=course,
            module=module,
            title=f"Lesson {position + 1}",
            body="Read this.",
            position=position,
            is_published=True,
        )
    return course


def enrol(user: Any, course: Course, role: str = "learner") -> CourseMembership:
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role)
    )


def complete_course(user: Any, course: Course) -> None:
    """Complete every lesson as the learner (jobs run inline in tests)."""
    for lesson in Lesson.objects.filter(course=course).order_by("position"):
        lesson_complete(user=user, lesson=lesson)


@pytest.fixture
def course(db) -> Course:
    return make_course(title="Tides and the shore")


@pytest.fixture
def learner(db, course):
    user = UserFactory(email="lena@example.org", full_name="Lena Löwe")
    enrol(user, course)
    return user


@pytest.fixture
def instructor(db, course):
    user = UserFactory(email="ines@example.org", full_name="Ines Instructor")
    enrol(user, course, "instructor")
    return user


@pytest.fixture
def certificate(learner, course, django_capture_on_commit_callbacks) -> Certificate:
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    return Certificate.objects.get(user=learner, course=course)
