"""Reads for taking quizzes: a learner's attempts and what the quiz panel shows, an
attempt's questions with what a viewer may see of them, and the staff's attempt list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.assessments.grading import correct_response
from syllabus.assessments.models import Attempt, AttemptQuestion, Quiz, QuizSlot
from syllabus.assessments.services_attempts import (
    allowance,
    answers_visible,
    counted_result,
    effective_deadline,
    open_problem,
    results_visible,
)


def quiz_of_lesson(lesson: Any) -> Quiz | None:
    return Quiz.objects.filter(lesson_id=lesson.pk).select_related("lesson", "course").first()


def quiz_by_public_id(public_id: str) -> Quiz | None:
    return (
        Quiz.objects.filter(public_id=public_id)
        .select_related("lesson__course", "lesson__module", "course")
        .first()
    )


# What an attempt's pages show (its quiz, lesson, module and course), and the least the
# submit needs (the lesson and course it completes); the joins cost more than the query.
PAGE_RELATED = ("quiz__lesson__course", "quiz__lesson__module", "quiz__course")
SUBMIT_RELATED = ("quiz__lesson__course",)


def attempt_by_public_id(public_id: str) -> Attempt | None:
    return Attempt.objects.filter(public_id=public_id).select_related(*PAGE_RELATED, "user").first()


def own_attempt(user: Any, public_id: str, related: tuple[str, ...] = PAGE_RELATED) -> Attempt:
    """``user``'s own attempt (their pages and API): 404 when there is none, 403 when it is
    someone else's. Its ``user`` is ``user``, not read again."""
    attempt = Attempt.objects.filter(public_id=public_id).select_related(*related).first()
    if attempt is None:
        raise Http404
    if attempt.user_id != user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    attempt.user = user
    return attempt


def learner_attempts(*, user: Any, quiz: Quiz) -> list[Attempt]:
    return list(Attempt.objects.filter(quiz=quiz, user=user).order_by("-number"))


def question_count(quiz: Quiz) -> int:
    """How many questions an attempt draws (slots' fixed questions and random counts)."""
    total = 0
    for slot in QuizSlot.objects.filter(quiz=quiz).values("question_id", "count"):
        total += 1 if slot["question_id"] else slot["count"]
    return total


@dataclass
class QuizSummary:
    """What the quiz panel and landing page show one learner (or a staff preview)."""

    quiz: Quiz
    questions: int
    attempts: list[Attempt]
    open_attempt: Attempt | None
    attempts_allowed: int
    attempts_left: int | None
    extra_minutes: int
    time_limit_minutes: int | None
    window_problem: str
    can_start: bool
    results_visible: bool
    answers_visible: bool
    counted_percent: Decimal | None
    pending: bool
    passed: bool
    refusals: list[str] = field(default_factory=list)


def quiz_summary(*, user: Any, quiz: Quiz, staff: bool, now: datetime | None = None) -> QuizSummary:
    now = now or timezone.now()
    attempts = [] if staff else learner_attempts(user=user, quiz=quiz)
    open_attempt = next(
        (
            a
            for a in attempts
            if a.status == Attempt.Status.IN_PROGRESS
            and not ((d := effective_deadline(a, quiz)) is not None and d <= now)
        ),
        None,
    )
    rules = allowance(user=user, quiz=quiz, used=None if staff else len(attempts))
    _opens, window_problem = open_problem(quiz, now)
    questions = question_count(quiz)
    counted = counted_result(user=user, quiz=quiz, loaded=attempts) if attempts else None
    can_start = (
        not staff
        and open_attempt is None
        and not window_problem
        and questions > 0
        and rules.attempts_left != 0
    )
    shown = results_visible(quiz, now)
    percent = counted.percent if counted else None
    limit = quiz.time_limit_minutes
    return QuizSummary(
        quiz=quiz,
        questions=questions,
        attempts=attempts,
        open_attempt=open_attempt,
        attempts_allowed=rules.attempts_allowed,
        attempts_left=rules.attempts_left,
        extra_minutes=rules.extra_minutes,
        time_limit_minutes=(limit + rules.extra_minutes) if limit else None,
        window_problem=window_problem,
        can_start=can_start,
        results_visible=shown,
        answers_visible=answers_visible(quiz, now),
        counted_percent=percent if shown else None,
        pending=bool(counted and counted.pending),
        passed=shown and percent is not None and percent >= quiz.pass_percent,
    )


def attempt_questions(attempt: Attempt) -> list[AttemptQuestion]:
    return list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))


@dataclass
class QuestionView:
    """One question of an attempt as a page or the API shows it."""

    row: AttemptQuestion
    snapshot: dict[str, Any]
    response: dict[str, Any] | None
    points: Decimal
    points_awarded: Decimal | None  # None when hidden or waiting for a grader
    correct: dict[str, Any] | None  # the right answer, when visible
    feedback: str
    explanation_html: str
    given_text: str = ""
    correct_text: str = ""

    @property
    def verdict(self) -> str:
        """In words (never colour alone): how the answer fared."""
        return {
            "waiting": _("Waiting for a grader"),
            "correct": _("Correct"),
            "partly_correct": _("Partly correct"),
            "not_answered": _("Not answered"),
            "incorrect": _("Incorrect"),
        }.get(self.verdict_key, "")

    @property
    def verdict_key(self) -> str:
        """The verdict as a stable code (for styles), whatever the reader's language."""
        if self.points_awarded is None:
            return "waiting" if self.snapshot.get("kind") == "essay" else ""
        if self.points_awarded >= self.points:
            return "correct"
        if self.points_awarded > 0:
            return "partly_correct"
        return "not_answered" if self.response is None else "incorrect"


def _texts(entries: Any) -> dict[str, str]:
    return {str(e.get("id")): str(e.get("text", "")) for e in entries or () if isinstance(e, dict)}


def describe_response(snapshot: dict[str, Any], response: dict[str, Any] | None) -> str:
    """An answer (the learner's or the right one) in words, for result pages."""
    if not response:
        return ""
    kind = snapshot.get("kind")
    if kind == "single":
        return _texts(snapshot.get("options")).get(str(response.get("option")), "")
    if kind == "multiple":
        texts = _texts(snapshot.get("options"))
        chosen = response.get("options") or []
        return "; ".join(texts.get(o, "") for o in chosen) or _("None ticked")
    if kind == "true_false":
        return _("True") if response.get("value") else _("False")
    if kind == "numeric":
        value = str(response.get("value", ""))
        if "tolerance" in response and Decimal(str(response["tolerance"])) != 0:
            unit = " %" if response.get("tolerance_kind") == "percent" else ""
            return f"{value} (± {response['tolerance']}{unit})"
        return value
    if kind in ("short_text", "essay"):
        return str(response.get("text", ""))
    if kind == "matching":
        prompts = _texts(snapshot.get("prompts"))
        matches = _texts(snapshot.get("matches"))
        pairs = response.get("pairs") or {}
        return "; ".join(
            f"{prompts.get(p, '')} → {matches.get(str(m), '')}" for p, m in pairs.items()
        )
    if kind == "ordering":
        items = _texts(snapshot.get("items"))
        return " · ".join(
            f"{n}. {items.get(i, '')}" for n, i in enumerate(response.get("order") or (), start=1)
        )
    return ""


def question_views(
    attempt: Attempt, *, show_results: bool, show_answers: bool
) -> list[QuestionView]:
    views = []
    for row in attempt_questions(attempt):
        snapshot = row.snapshot
        correct = correct_response(snapshot) if show_answers else None
        views.append(
            QuestionView(
                row=row,
                snapshot=snapshot,
                response=row.response,
                points=row.points,
                points_awarded=row.points_awarded if show_results else None,
                correct=correct,
                feedback=row.feedback if show_results else "",
                explanation_html=snapshot.get("explanation_html", "") if show_answers else "",
                given_text=describe_response(snapshot, row.response),
                correct_text=describe_response(snapshot, correct) if correct else "",
            )
        )
    return views


def staff_attempts(quiz: Quiz) -> QuerySet[Attempt]:
    """Every attempt at the quiz, newest first, with the learner and how many answers
    wait for a grader (one query)."""
    return (
        Attempt.objects.filter(quiz=quiz)
        .select_related("user")
        .annotate(
            essays_pending=Count(
                "questions",
                filter=Q(questions__points_awarded__isnull=True, status=Attempt.Status.SUBMITTED),
            )
        )
        .order_by("-started_at", "-pk")
    )


def pending_grading_count(quiz: Quiz) -> int:
    return Attempt.objects.filter(
        quiz=quiz, status=Attempt.Status.SUBMITTED, needs_grading=True
    ).count()
