"""Demo quiz content: a question bank with questions of every kind and one published quiz
lesson drawing fixed and random questions. ``syllabus demo`` calls ``load_demo``; running
it again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from syllabus.assessments.models import Question, QuestionBank, Quiz
from syllabus.assessments.services_authoring import (
    bank_create,
    question_create,
    quiz_update,
    slot_add,
)
from syllabus.courses.models import Course, Lesson
from syllabus.courses.services import lesson_create, lesson_set_published, module_create

BANK_NAME = "Course check-up questions"
QUIZ_TITLE = "Check your understanding"

QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single",
        "title": "Capital of France",
        "text": "What is the capital of **France**?",
        "config": {
            "options": [
                {"text": "Paris", "correct": True},
                {"text": "Lyon", "correct": False},
                {"text": "Marseille", "correct": False},
            ]
        },
        "tags": ["geography"],
    },
    {
        "kind": "multiple",
        "title": "Prime numbers",
        "text": "Which of these numbers are prime?",
        "config": {
            "options": [
                {"text": "2", "correct": True},
                {"text": "3", "correct": True},
                {"text": "4", "correct": False},
                {"text": "9", "correct": False},
            ],
            "partial_credit": "right_minus_wrong",
        },
        "points": Decimal("2"),
        "tags": ["maths"],
    },
    {
        "kind": "true_false",
        "title": "Water boils at 100 °C",
        "text": "At sea level, pure water boils at 100 °C.",
        "config": {"answer": True},
        "explanation": "At standard pressure (1 atm), yes.",
        "tags": ["science"],
    },
    {
        "kind": "short_text",
        "title": "First programmer",
        "text": "Who is often called the first computer programmer?",
        "config": {"accepted": ["Ada Lovelace", "Lovelace"], "case_sensitive": False},
        "tags": ["history"],
    },
    {
        "kind": "numeric",
        "title": "Value of pi",
        "text": "Give π to two decimal places.",
        "config": {"answer": "3.14", "tolerance": "0.005", "tolerance_kind": "absolute"},
        "tags": ["maths"],
    },
    {
        "kind": "matching",
        "title": "Countries and capitals",
        "text": "Match each country with its capital.",
        "config": {
            "pairs": [
                {"prompt": "Italy", "match": "Rome"},
                {"prompt": "Spain", "match": "Madrid"},
                {"prompt": "Portugal", "match": "Lisbon"},
            ]
        },
        "points": Decimal("3"),
        "tags": ["geography"],
    },
    {
        "kind": "ordering",
        "title": "Planets from the Sun",
        "text": "Put these planets in order from the Sun outwards.",
        "config": {"items": [{"text": "Mercury"}, {"text": "Venus"}, {"text": "Earth"}]},
        "tags": ["science"],
    },
    {
        "kind": "essay",
        "title": "What you learned",
        "text": "In a few sentences, what did you learn in this course?",
        "config": {"guidance": "Full points for a clear, specific answer."},
        "points": Decimal("5"),
    },
]


@transaction.atomic
def load_demo(course: Course, instructor: Any) -> None:
    """Add the demo question bank and a published quiz lesson to ``course`` (once).

    ``instructor`` is recorded nowhere: demo data is written as the operator, like the
    rest of ``syllabus demo``; it is accepted so every area's loader has one signature.
    """
    del instructor
    bank = QuestionBank.objects.filter(course=course, name=BANK_NAME).first()
    if bank is None:
        bank = bank_create(
            actor=None,
            course=course,
            name=BANK_NAME,
            description="One question of every kind, for the demo quiz.",
        )
    questions = {q.title: q for q in Question.objects.filter(bank=bank)}
    for spec in QUESTIONS:
        if spec["title"] not in questions:
            questions[spec["title"]] = question_create(actor=None, bank=bank, **spec)
    if Lesson.objects.filter(course=course, kind="quiz", title=QUIZ_TITLE).exists():
        return
    module = course.modules.order_by("position", "pk").last() or module_create(
        actor=None, course=course, title="Quizzes"
    )
    lesson = lesson_create(
        actor=None,
        module=module,
        title=QUIZ_TITLE,
        kind="quiz",
        changes={"body": "A short quiz about the course: two attempts, your best one counts."},
    )
    quiz = Quiz.objects.get(lesson=lesson)
    quiz_update(
        actor=None,
        quiz=quiz,
        changes={
            "instructions": "Answer every question. You have 20 minutes and two attempts.",
            "time_limit_minutes": 20,
            "attempts_allowed": 2,
            "pass_percent": Decimal("60"),
            "answers_visibility": "immediately",
            "shuffle_options": True,
        },
    )
    for title in ("Capital of France", "Prime numbers", "Value of pi", "What you learned"):
        slot_add(actor=None, quiz=quiz, question=questions[title])
    science = course.question_tags.get(name="science")
    slot_add(actor=None, quiz=quiz, bank=bank, tag=science, count=1)
    lesson_set_published(actor=None, lesson=lesson, published=True)
