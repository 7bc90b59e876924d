"""Lesson kinds owned by other apps: the registry the authoring services call."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from syllabus.courses import lesson_kinds
from syllabus.courses.lesson_kinds import register_lesson_kind, unregister_lesson_kind
from syllabus.courses.models import Lesson
from syllabus.courses.services import (
    course_copy,
    creatable_kinds,
    lesson_create,
    lesson_set_published,
    module_create,
)
from syllabus.courses.tests.test_authoring_services import course_with_instructor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = Lesson.Kind.ASSIGNMENT


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.problems: list[str] = ["Add a question first."]

    def created(self, *, lesson: Lesson, actor: Any) -> None:
        assert lesson.pk is not None
        self.calls.append(("created", lesson.title))

    def publish_problems(self, *, lesson: Lesson) -> list[str]:
        self.calls.append(("publish_problems", lesson.title))
        return self.problems

    def copied(self, *, source: Lesson, copy: Lesson, actor: Any) -> None:
        assert copy.pk is not None and copy.course_id != source.course_id
        self.calls.append(("copied", copy.title))


@pytest.fixture
def instructor():
    return UserFactory()


@pytest.fixture
def module(instructor):
    course = course_with_instructor(instructor)
    return module_create(actor=instructor, course=course, title="Week 1")


@pytest.fixture
def handler():
    saved = lesson_kinds._handlers.copy()
    unregister_lesson_kind(KIND)
    recorder = Recorder()
    register_lesson_kind(KIND, recorder)
    yield recorder
    unregister_lesson_kind(KIND)
    lesson_kinds._handlers.update(saved)


def test_a_registered_kind_is_created_published_and_copied_through_its_handler(
    module, instructor, handler
):
    assert KIND in creatable_kinds()
    lesson = lesson_create(actor=instructor, module=module, title="Essay", kind=KIND)
    assert handler.calls == [("created", "Essay")]
    with pytest.raises(ValidationError, match="Add a question first"):
        lesson_set_published(actor=instructor, lesson=lesson, published=True)
    handler.problems = []
    assert lesson_set_published(actor=instructor, lesson=lesson, published=True).is_published
    course_copy(actor=instructor, course=module.course)
    assert handler.calls[-1] == ("copied", "Essay")


def test_a_kind_without_a_handler_cannot_be_created(module, instructor):
    saved = lesson_kinds._handlers.copy()
    unregister_lesson_kind(KIND)
    try:
        assert KIND not in creatable_kinds()
        with pytest.raises(ValidationError):
            lesson_create(actor=instructor, module=module, title="Essay", kind=KIND)
        assert not Lesson.objects.filter(kind=KIND).exists()
    finally:
        lesson_kinds._handlers.update(saved)
