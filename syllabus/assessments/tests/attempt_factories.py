"""Test data for taking quizzes, built with the ORM (the authoring services are written
in parallel and not used here): a published course with a quiz lesson, a bank holding a
question of every kind, a quiz with one fixed slot per question, and enrolled people."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from syllabus.accounts.models import Role
from syllabus.assessments.models import Question, QuestionBank, Quiz, QuizSlot
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.grades.models import GradeItem
from tests.factories import UserFactory

_seq = itertools.count(1)

# One question of every kind: (kind, config, a right answer, a wrong answer).
KINDS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "single": (
        {
            "options": [
                {"id": "oa", "text": "Paris", "correct": True},
                {"id": "ob", "text": "Lyon", "correct": False},
                {"id": "oc", "text": "Nice", "correct": False},
            ]
        },
        {"option": "oa"},
        {"option": "ob"},
    ),
    "multiple": (
        {
            "options": [
                {"id": "m1", "text": "2", "correct": True},
                {"id": "m2", "text": "3", "correct": True},
                {"id": "m3", "text": "4", "correct": False},
                {"id": "m4", "text": "9", "correct": False},
            ],
            "partial_credit": "all_or_nothing",
        },
        {"options": ["m1", "m2"]},
        {"options": ["m3"]},
    ),
    "true_false": ({"answer": True}, {"value": True}, {"value": False}),
    "short_text": (
        {"accepted": ["Ada Lovelace", "Lovelace"], "case_sensitive": False},
        {"text": "  ada   lovelace "},
        {"text": "Babbage"},
    ),
    "numeric": (
        {"answer": "3.14", "tolerance": "0.01", "tolerance_kind": "absolute"},
        {"value": "3.141"},
        {"value": "3.2"},
    ),
    "matching": (
        {
            "pairs": [
                {"id": "p1", "prompt": "France", "match": "Paris"},
                {"id": "p2", "prompt": "Italy", "match": "Rome"},
                {"id": "p3", "prompt": "Spain", "match": "Madrid"},
            ]
        },
        {"pairs": {"p1": "p1", "p2": "p2", "p3": "p3"}},
        {"pairs": {"p1": "p2", "p2": "p1"}},
    ),
    "ordering": (
        {
            "items": [
                {"id": "i1", "text": "One"},
                {"id": "i2", "text": "Two"},
                {"id": "i3", "text": "Three"},
            ]
        },
        {"order": ["i1", "i2", "i3"]},
        {"order": ["i3", "i2", "i1"]},
    ),
    "essay": ({"guidance": "Two paragraphs."}, {"text": "My essay."}, {"text": ""}),
}


def make_course(**extra: Any) -> Course:
    n = next(_seq)
    return Course.objects.create(
        title=f"Quiz course {n}", slug=f"quiz-course-{n}", status=Course.Status.PUBLISHED, **extra
    )


def enrol(user: Any, course: Course, role: str = "learner") -> CourseMembership:
    return CourseMembership.objects.create(
        course=course, user=user, role=Role.objects.get(slug=role)
    )


def make_question(bank: QuestionBank, kind: str, *, points: str = "1", **extra: Any) -> Question:
    config = extra.pop("config", None) or KINDS[kind][0]
    return Question.objects.create(
        bank=bank,
        course=bank.course,
        kind=kind,
        title=extra.pop("title", f"{kind} question"),
        text=extra.pop("text", f"What about {kind}?"),
        config=config,
        points=Decimal(points),
        **extra,
    )


def make_quiz(
    *,
    course: Course | None = None,
    kinds: tuple[str, ...] = ("single", "true_false"),
    gradebook: bool = True,
    **settings: Any,
) -> Quiz:
    """A published quiz lesson in ``course`` with one fixed question per kind."""
    course = course or make_course()
    module = Module.objects.create(
        course=course,
        title=f"Quizzes {next(_seq)}",
        is_published=True,
        position=Module.objects.filter(course=course).count(),
    )
    lesson = Lesson.objects.create(
        course=course,
        module=module,
        title=f"Quiz {next(_seq)}",
        kind=Lesson.Kind.QUIZ,
        is_published=True,
        position=Lesson.objects.filter(module=module).count(),
    )
    quiz = Quiz.objects.create(lesson=lesson, course=course, **settings)
    bank, _ = QuestionBank.objects.get_or_create(course=course, name="Bank")
    for position, kind in enumerate(kinds):
        question = make_question(bank, kind)
        QuizSlot.objects.create(quiz=quiz, position=position, question=question)
    if gradebook:
        GradeItem.objects.create(
            course=course,
            kind=GradeItem.Kind.QUIZ,
            source_id=quiz.pk,
            title=lesson.title,
            max_points=Decimal("10"),
        )
    return quiz


def learner_in(course: Course, **extra: Any) -> Any:
    user = UserFactory(**extra)
    enrol(user, course)
    return user


def staff_in(course: Course, role: str = "instructor") -> Any:
    user = UserFactory()
    enrol(user, course, role=role)
    return user


def right(kind: str) -> dict[str, Any]:
    return KINDS[kind][1]


def wrong(kind: str) -> dict[str, Any]:
    return KINDS[kind][2]
