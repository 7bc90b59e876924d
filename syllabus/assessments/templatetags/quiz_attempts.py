"""Template tags of the quiz pages: the quiz panel of a quiz lesson page."""

from __future__ import annotations

from typing import Any

from django import template

from syllabus.assessments.selectors_attempts import QuizSummary, quiz_of_lesson, quiz_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def quiz_panel(context: Any, lesson: Any, staff: bool) -> QuizSummary | None:
    """The summary the lesson page's quiz panel shows (None: no quiz row yet)."""
    quiz = quiz_of_lesson(lesson)
    if quiz is None:
        return None
    return quiz_summary(user=context["request"].user, quiz=quiz, staff=bool(staff))
