"""The demo quiz content: every kind of question, one published quiz, loaded once."""

from __future__ import annotations

import pytest

from syllabus.assessments.demo import load_demo
from syllabus.assessments.models import Question, Quiz
from syllabus.assessments.services_authoring import quiz_problems
from syllabus.assessments.tests.authoring_helpers import course_with_instructor
from syllabus.grades.models import GradeItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_demo_quiz_content_is_complete_and_idempotent():
    instructor = UserFactory()
    course = course_with_instructor(instructor)
    load_demo(course, instructor)
    load_demo(course, instructor)
    kinds = set(Question.objects.filter(course=course).values_list("kind", flat=True))
    assert kinds == set(Question.Kind.values)
    assert Question.objects.filter(course=course).count() == len(Question.Kind.values)
    quiz = Quiz.objects.get(course=course)
    assert quiz.lesson.is_published and quiz_problems(quiz) == []
    assert quiz.slots.count() == 5
    assert GradeItem.objects.get(kind="quiz", source_id=quiz.pk).max_points > 0
