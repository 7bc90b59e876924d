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
        from django.db.models.signals import post_delete

        from syllabus.assignments.models import SubmissionFile
        from syllabus.courses.lesson_kinds import register_lesson_kind

        register_lesson_kind("assignment", AssignmentLessons())
        post_delete.connect(
            _forget_stored_file, sender=SubmissionFile, dispatch_uid="assignments.file_delete"
        )


def _forget_stored_file(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A submitted file's row is gone (its lesson, course or learner was deleted): delete
    the stored file once the deletion commits, so storage keeps no orphans."""
    from django.db import transaction

    from syllabus.courses.uploads import delete_stored

    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_stored(name))
