"""Lesson kinds that other apps own: a quiz lesson belongs to the assessments app, an
assignment lesson to the assignments app. Courses never imports them; each registers a
``LessonKindHandler`` from its ``AppConfig.ready`` and the authoring services call it
when such a lesson is created, checked before publishing, or copied with its course.

A kind with no registered handler cannot be created or published (the error says so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from syllabus.courses.models import Lesson


class LessonKindHandler(Protocol):
    def created(self, *, lesson: Lesson, actor: Any) -> None:
        """The lesson row was just saved (same transaction): create what it needs, for
        example the quiz or assignment row linked to it."""

    def publish_problems(self, *, lesson: Lesson) -> list[str]:
        """Why the lesson cannot be published yet (empty when it can), in sentences a
        course author can act on."""

    def copied(self, *, source: Lesson, copy: Lesson, actor: Any) -> None:
        """``copy`` was made from ``source`` by a course copy (same transaction): copy the
        settings and content, never learners' attempts or submissions."""


_handlers: dict[str, LessonKindHandler] = {}


def register_lesson_kind(kind: str, handler: LessonKindHandler) -> None:
    _handlers[kind] = handler


def unregister_lesson_kind(kind: str) -> None:
    _handlers.pop(kind, None)


def handler_for(kind: str) -> LessonKindHandler | None:
    return _handlers.get(kind)
