from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AssignmentLessons:
    """The lesson-kind handler of assignment lessons (see syllabus.courses.lesson_kinds)."""

    def created(self, *, lesson: Any, actor: Any) -> None:
        from syllabus.assignments.services import assignment_create_for_lesson

        assignment_create_for_lesson(lesson=lesson, actor=actor)

    def publish_problems(self, *, lesson: Any) -> list[str]:
        from syllabus.assignments.models import Assignment
        from syllabus.assignments.services import publish_problems

        assignment = Assignment.objects.filter(lesson=lesson).first()
        if assignment is None:
            return ["This assignment lesson has lost its settings: delete it and add it again."]
        assignment.lesson = lesson
        return publish_problems(assignment)

    def copied(self, *, source: Any, copy: Any, actor: Any) -> None:
        from syllabus.assignments.services import assignment_copy

        assignment_copy(source=source, copy=copy, actor=actor)


class AssignmentsConfig(AppConfig):
    name = "syllabus.assignments"
    label = "assignments"
    verbose_name = "Assignments"

    def ready(self) -> None:
        from syllabus.courses.lesson_kinds import register_lesson_kind

        register_lesson_kind("assignment", AssignmentLessons())
