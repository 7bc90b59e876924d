"""Create the data of the quiz benchmark (bench/quiz_locustfile.py): a published course
with a timed quiz of 10 auto-graded questions and N enrolled learners, each with a
ready session (created with the session engine, so 500 Argon2 sign-ins do not dominate
the measurement). Writes ``learners.json`` (session cookies) and ``quiz.json`` (the
quiz and the form fields that answer each question) into ``--out`` (var/ is ignored by
git). Running it again replaces the previous bench course, learners and sessions."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from syllabus.accounts.models import Role, User
from syllabus.assessments.models import Attempt, Question, QuestionBank, Quiz, QuizSlot
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.grades.models import GradeItem

SLUG = "bench-quiz"
EMAIL_DOMAIN = "bench-quiz.example.org"

# (kind, config, the form fields of a right answer at position {p}).
QUESTIONS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "single",
        {
            "options": [
                {"id": "b1a", "text": "4", "correct": True},
                {"id": "b1b", "text": "5", "correct": False},
                {"id": "b1c", "text": "22", "correct": False},
            ]
        },
        {"a{p}": "b1a"},
    ),
    (
        "multiple",
        {
            "options": [
                {"id": "b2a", "text": "2", "correct": True},
                {"id": "b2b", "text": "3", "correct": True},
                {"id": "b2c", "text": "4", "correct": False},
            ],
            "partial_credit": "right_minus_wrong",
        },
        {"a{p}": ["b2a", "b2b"]},
    ),
    ("true_false", {"answer": True}, {"a{p}": "true"}),
    (
        "short_text",
        {"accepted": ["Ada Lovelace"], "case_sensitive": False, "whitespace": "normalize"},
        {"a{p}": "ada lovelace"},
    ),
    (
        "numeric",
        {"answer": "3.14", "tolerance": "0.01", "tolerance_kind": "absolute"},
        {"a{p}": "3.141"},
    ),
    (
        "matching",
        {
            "pairs": [
                {"id": "b6a", "prompt": "France", "match": "Paris"},
                {"id": "b6b", "prompt": "Italy", "match": "Rome"},
            ]
        },
        {"a{p}-b6a": "b6a", "a{p}-b6b": "b6b"},
    ),
    (
        "ordering",
        {"items": [{"id": "b7a", "text": "One"}, {"id": "b7b", "text": "Two"}]},
        {"a{p}-b7a": "1", "a{p}-b7b": "2"},
    ),
    ("true_false", {"answer": False}, {"a{p}": "false"}),
    (
        "single",
        {
            "options": [
                {"id": "b9a", "text": "HTTP", "correct": False},
                {"id": "b9b", "text": "HTTPS", "correct": True},
            ]
        },
        {"a{p}": "b9b"},
    ),
    (
        "numeric",
        {"answer": "100", "tolerance": "5", "tolerance_kind": "percent"},
        {"a{p}": "102"},
    ),
]


class Command(BaseCommand):
    help = (
        "Create the quiz benchmark's course, quiz (10 questions) and learners with ready "
        "sessions, and write what Locust needs into --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=500, help="how many (default 500)")
        parser.add_argument(
            "--out", default="var/bench/quiz", help="folder for learners.json and quiz.json"
        )
        parser.add_argument(
            "--time-limit", type=int, default=30, help="the quiz's time limit in minutes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["learners"]
        if not 1 <= count <= 20_000:
            raise CommandError("--learners must be between 1 and 20000.")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            quiz = self._quiz(options["time_limit"])
            learners = self._learners(quiz.course, count)
        cookies = self._sessions(learners)
        fields = [
            {key.format(p=position): value for key, value in answer.items()}
            for position, (_, _, answer) in enumerate(QUESTIONS, start=1)
        ]
        (out / "quiz.json").write_text(
            json.dumps({"quiz": quiz.public_id, "questions": len(QUESTIONS), "answers": fields})
        )
        (out / "learners.json").write_text(
            json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "sessions": cookies})
        )
        self.stdout.write(
            f"Bench quiz {quiz.public_id} with {len(QUESTIONS)} questions and {count} "
            f"learners; sessions in {out / 'learners.json'}."
        )

    def _quiz(self, time_limit: int) -> Quiz:
        old = Course.objects.filter(slug=SLUG)
        # Attempts and slots protect the questions they used: remove them first.
        Attempt.objects.filter(quiz__course__in=old).delete()
        QuizSlot.objects.filter(quiz__course__in=old).delete()
        old.delete()
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
        course = Course.objects.create(
            title="Benchmark: quiz start", slug=SLUG, status=Course.Status.PUBLISHED
        )
        module = Module.objects.create(course=course, title="Quiz", is_published=True)
        lesson = Lesson.objects.create(
            course=course,
            module=module,
            title="Benchmark quiz",
            kind=Lesson.Kind.QUIZ,
            is_published=True,
        )
        quiz = Quiz.objects.create(
            lesson=lesson,
            course=course,
            time_limit_minutes=time_limit,
            attempts_allowed=1,
            shuffle_options=True,
        )
        bank = QuestionBank.objects.create(course=course, name="Benchmark")
        for position, (kind, config, _) in enumerate(QUESTIONS):
            question = Question.objects.create(
                bank=bank,
                course=course,
                kind=kind,
                title=f"Question {position + 1}",
                text=f"Question {position + 1} ({kind}).",
                text_html=f"<p>Question {position + 1} ({kind}).</p>",
                config=config,
                points=Decimal("1"),
            )
            QuizSlot.objects.create(quiz=quiz, position=position, question=question)
        GradeItem.objects.create(
            course=course,
            kind=GradeItem.Kind.QUIZ,
            source_id=quiz.pk,
            title=lesson.title,
            max_points=Decimal(len(QUESTIONS)),
        )
        return quiz

    def _learners(self, course: Course, count: int) -> list[User]:
        # Unusable passwords: these people never sign in with one (sessions are made).
        User.objects.bulk_create(
            User(
                email=f"learner{n}@{EMAIL_DOMAIN}",
                full_name=f"Bench learner {n}",
                password=make_password(None),
            )
            for n in range(count)
        )
        users = list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("pk"))
        role = Role.objects.get(slug="learner")
        CourseMembership.objects.bulk_create(
            CourseMembership(course=course, user=user, role=role) for user in users
        )
        return users

    def _sessions(self, users: list[User]) -> list[str]:
        engine = import_module(settings.SESSION_ENGINE)
        backend = "django.contrib.auth.backends.ModelBackend"
        keys = []
        for user in users:
            session = engine.SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            keys.append(session.session_key)
        return keys
