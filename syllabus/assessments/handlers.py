"""The quiz lesson kind: a quiz lesson owns one Quiz (created with the lesson), cannot be
published until its quiz can be taken, and is copied with its questions by a course
copy. Registered in ``AssessmentsConfig.ready``; see ``syllabus.courses.lesson_kinds``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from syllabus.assessments.models import Quiz
from syllabus.assessments.services_authoring import (
    quiz_copy,
    quiz_create_for_lesson,
    quiz_problems,
)
from syllabus.courses.models import Lesson


class QuizLessonHandler:
    def created(self, *, lesson: Lesson, actor: Any) -> None:
        quiz_create_for_lesson(lesson=lesson)

    def publish_problems(self, *, lesson: Lesson) -> list[str]:
        quiz = Quiz.objects.filter(lesson=lesson).first()
        if quiz is None:
            return [_("This quiz lesson has no quiz: open “Questions and settings” to set it up.")]
        return quiz_problems(quiz)

    def copied(self, *, source: Lesson, copy: Lesson, actor: Any) -> None:
        quiz_copy(source=source, copy=copy)
