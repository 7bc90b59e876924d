"""Fixtures for the assignment tests: a published course with an assignment lesson
(instructions, 10 points, due in the future), an instructor, a teaching assistant, an
enrolled learner, and helpers to build more."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from syllabus.accounts.models import Role
from syllabus.assignments.models import Assignment
from syllabus.assignments.services import assignment_create_for_lesson
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from tests.factories import UserFactory

_counter = {"n": 0}

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def make_course(**extra: Any) -> Course:
    _counter["n"] += 1
    n = _counter["n"]
    extra.setdefault("status", Course.Status.PUBLISHED)
    return Course.objects.create(title=f"Essays {n}", slug=f"essays-{n}", **extra)


def enrol(user: Any, course: Course, role: str = "learner") -> CourseMembership:
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role)
    )


def make_assignment(
    course: Course,
    *,
    title: str = "Essay",
    due_at: datetime | None = None,
    published: bool = True,
    **settings: Any,
) -> Assignment:
    module = course.modules.first() or Module.objects.create(
        course=course, title="Module", is_published=True
    )
    lesson = Lesson.objects.create(
        course=course,
        module=module,
        title=title,
        kind=Lesson.Kind.ASSIGNMENT,
        position=module.lessons.count(),
        is_published=published,
        due_at=due_at,
    )
    assignment = assignment_create_for_lesson(lesson=lesson, actor=None)
    settings.setdefault("instructions", "Write **300 words**.")
    settings.setdefault("instructions_html", "<p>Write <strong>300 words</strong>.</p>")
    settings.setdefault("max_points", Decimal("10"))
    for field, value in settings.items():
        setattr(assignment, field, value)
    assignment.save()
    return assignment


def pdf(name: str = "essay.pdf", size: int | None = None) -> SimpleUploadedFile:
    data = PDF if size is None else (PDF + b"0" * size)[:size]
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def zip_bomb(name: str = "bomb.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"\0" * (20 * 1024 * 1024))
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


RUBRIC = [
    {
        "title": "Argument",
        "description": "Is the thesis clear?",
        "levels": [{"title": "Clear", "points": "6"}, {"title": "Thin", "points": "3"}],
    },
    {
        "title": "Style",
        "description": "",
        "levels": [{"title": "Fluent", "points": "4"}, {"title": "Rough", "points": "1"}],
    },
]


@pytest.fixture
def course(db) -> Course:
    return make_course()


@pytest.fixture
def instructor(course) -> Any:
    user = UserFactory(full_name="Ida Instructor")
    enrol(user, course, "instructor")
    return user


@pytest.fixture
def assistant(course) -> Any:
    user = UserFactory(full_name="Tao Assistant")
    enrol(user, course, "teaching_assistant")
    return user


@pytest.fixture
def student(course) -> Any:
    user = UserFactory(full_name="Lena Learner")
    enrol(user, course)
    return user


@pytest.fixture
def assignment(course) -> Assignment:
    return make_assignment(course, due_at=timezone.now() + timedelta(days=7))


@pytest.fixture
def stored_files(settings) -> Any:
    """Files stored under the media root since the test started (to prove a refused
    hand-in stored nothing)."""
    from pathlib import Path

    def everything() -> set[str]:
        root = Path(settings.MEDIA_ROOT) / "assignments"
        return {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()

    before = everything()
    return lambda: everything() - before
