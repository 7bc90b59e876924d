"""Builders for the quiz authoring tests: a course with an instructor, a quiz lesson, a
bank of questions (through the services, as authors make them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from syllabus.accounts.models import Role
from syllabus.assessments.models import Question, QuestionBank, Quiz
from syllabus.assessments.services_authoring import bank_create, question_create
from syllabus.courses.models import Course, CourseMembership, Lesson
from syllabus.courses.services import course_create, lesson_create, module_create

CONFIGS: dict[str, dict[str, Any]] = {
    "single": {
        "options": [
            {"text": "Paris", "correct": True},
            {"text": "Lyon", "correct": False},
        ]
    },
    "multiple": {
        "options": [
            {"text": "2", "correct": True},
            {"text": "3", "correct": True},
            {"text": "4", "correct": False},
        ],
        "partial_credit": "proportional",
    },
    "true_false": {"answer": True},
    "short_text": {"accepted": ["Ada Lovelace", "Lovelace"], "case_sensitive": False},
    "numeric": {"answer": "3.14", "tolerance": "0.01", "tolerance_kind": "absolute"},
    "matching": {
        "pairs": [
            {"prompt": "France", "match": "Paris"},
            {"prompt": "Italy", "match": "Rome"},
        ]
    },
    "ordering": {"items": [{"text": "One"}, {"text": "Two"}, {"text": "Three"}]},
    "essay": {"guidance": "Look for a clear argument."},
}


def course_with_instructor(instructor: Any, title: str = "Quizzes 101") -> Course:
    course = course_create(actor=None, title=title)
    CourseMembership.objects.create(
        course=course, user=instructor, role=Role.objects.get(slug="instructor")
    )
    return course


def enrol(course: Course, user: Any) -> None:
    CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug="learner"))


def quiz_lesson(course: Course, actor: Any = None, title: str = "Check-up") -> Lesson:
    module = course.modules.first() or module_create(actor=actor, course=course, title="Week 1")
    return lesson_create(actor=actor, module=module, title=title, kind="quiz")


def quiz_of(lesson: Lesson) -> Quiz:
    return Quiz.objects.select_related("lesson", "course").get(lesson=lesson)


def bank_with_questions(
    course: Course,
    actor: Any = None,
    name: str = "Bank",
    kinds: tuple[str, ...] = ("single", "numeric"),
    points: Decimal = Decimal("1"),
    tags: tuple[str, ...] = (),
) -> tuple[QuestionBank, list[Question]]:
    bank = bank_create(actor=actor, course=course, name=name)
    questions = [
        question_create(
            actor=actor,
            bank=bank,
            kind=kind,
            title=f"{kind} {n}",
            text=f"Question {n} ({kind})?",
            config=CONFIGS[kind],
            points=points,
            tags=tags,
        )
        for n, kind in enumerate(kinds, start=1)
    ]
    return bank, questions
