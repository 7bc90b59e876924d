"""Fixtures for the learning tests: a published course with two modules and lessons of
each kind, a learner enrolled in it, its instructor, and helpers to build more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.files.base import ContentFile

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from tests.factories import UserFactory

_counter = {"n": 0}


def make_course(*, title: str = "", status: str = Course.Status.PUBLISHED, **extra: Any) -> Course:
    _counter["n"] += 1
    n = _counter["n"]
    return Course.objects.create(
        title=title or f"Course {n}", slug=f"course-{n}", status=status, **extra
    )


def make_module(course: Course, *, title: str = "Module", published: bool = True, **extra: Any):
    position = Module.objects.filter(course=course).count()
    return Module.objects.create(
        course=course, title=title, position=position, is_published=published, **extra
    )


def make_lesson(
    module: Module,
    *,
    title: str = "Lesson",
    kind: str = Lesson.Kind.TEXT,
    published: bool = True,
    **extra: Any,
) -> Lesson:
    position = Lesson.objects.filter(module=module).count()
    return Lesson.objects.create(
        course=module.course,
        module=module,
        title=title,
        kind=kind,
        position=position,
        is_published=published,
        **extra,
    )


def enrol(user: Any, course: Course, *, role: str = "learner", ends_at: datetime | None = None):
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role), ends_at=ends_at
    )


def attach_video(lesson: Lesson, *, seconds: int | None = 100) -> Lesson:
    lesson.video.save("clip.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200))
    lesson.captions.save("clip.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"))
    lesson.video_duration_seconds = seconds
    lesson.transcript = "Hello and welcome."
    lesson.save()
    return lesson


@pytest.fixture
def course(db) -> Course:
    return make_course(title="Data basics")


@pytest.fixture
def lessons(course) -> dict[str, Lesson]:
    """intro (text), video (uploaded, 100 s), doc (file) in module 1; optional (text, not
    required) and after (text, needs intro) in module 2."""
    first = make_module(course, title="Getting started")
    second = make_module(course, title="Going further")
    intro = make_lesson(first, title="Introduction", body="# Hi", body_html="<h2>Hi</h2>")
    video = attach_video(make_lesson(first, title="Watch this", kind=Lesson.Kind.VIDEO))
    doc = make_lesson(first, title="Read the handout", kind=Lesson.Kind.FILE)
    doc.file.save("handout.pdf", ContentFile(b"%PDF-1.4 handout"))
    doc.file_name = "handout.pdf"
    doc.file_content_type = "application/pdf"
    doc.save()
    optional = make_lesson(second, title="Extra reading", is_required=False)
    after = make_lesson(second, title="Wrap up", prerequisite=intro)
    return {"intro": intro, "video": video, "doc": doc, "optional": optional, "after": after}


@pytest.fixture
def student(db, course):
    user = UserFactory(email="student@example.org", full_name="Sam Student")
    enrol(user, course)
    return user


@pytest.fixture
def teacher(db, course):
    user = UserFactory(email="teacher@example.org", full_name="Tess Teacher")
    enrol(user, course, role="instructor")
    return user
