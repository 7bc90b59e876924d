"""Quizzes JSON API (mounted at /api/v1/): taking a quiz (start or resume, autosave an
answer, submit), the learner's results, and the staff's attempt list and essay grading.

Refusals carry a stable code (docs/api.md): ``quiz_not_open``, ``quiz_closed``,
``no_attempts_left``, ``quiz_empty`` (409), ``attempt_submitted`` and ``time_over``
(409: nothing was written), ``unknown_question`` (404), ``invalid_answer`` (422).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from syllabus.accounts.tokens import token_allows
from syllabus.assessments.models import Attempt, AttemptQuestion, Quiz
from syllabus.assessments.selectors_attempts import (
    QuestionView,
    attempt_by_public_id,
    own_attempt,
    question_views,
    quiz_by_public_id,
    quiz_summary,
    staff_attempts,
)
from syllabus.assessments.services_attempts import (
    AttemptRefused,
    effective_deadline,
    grade_essay,
    results_visible,
    save_answer,
    start_attempt,
    submit_attempt,
)
from syllabus.assessments.services_attempts import (
    answers_visible as answers_visible_now,
)
from syllabus.core.api_schemas import Error
from syllabus.core.markdown import render_markdown
from syllabus.courses.permissions import has_course_perm
from syllabus.learning.access import lesson_access

router = Router(tags=["quizzes"])

_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 409: Error, 422: Error}


def _refused(exc: AttemptRefused) -> HttpError:
    error = HttpError(exc.status, exc.message)
    error.code = exc.code  # type: ignore[attr-defined]
    return error


# --- Schemas -------------------------------------------------------------------------------


class ChoiceOut(Schema):
    id: str
    text: str


class AttemptBriefOut(Schema):
    public_id: str
    number: int
    status: str
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    submitted_by_server: bool
    score: Decimal | None = Field(description="Hidden (null) until results are visible.")
    max_score: Decimal
    percent: Decimal | None
    needs_grading: bool = Field(description="An essay answer waits for a grader.")


class QuizOut(Schema):
    public_id: str
    lesson: str = Field(description="The quiz lesson's public id.")
    title: str
    instructions_html: str
    opens_at: datetime | None
    closes_at: datetime | None
    due_at: datetime | None
    time_limit_minutes: int | None = Field(description="Including your extra time, if any.")
    questions: int
    attempts_allowed: int = Field(description="0: any number (extra attempts included).")
    attempts_left: int | None
    pass_percent: Decimal
    attempt_policy: str
    results_visibility: str
    answers_visibility: str
    open_attempt: str | None = Field(description="public_id of the attempt to resume.")
    can_start: bool
    reason: str = Field(description="Why no attempt can start now, when none can.")
    counted_percent: Decimal | None = Field(description="The result that counts, if visible.")
    passed: bool
    attempts: list[AttemptBriefOut]


class QuestionOut(Schema):
    position: int
    kind: str
    title: str
    text_html: str
    points: Decimal
    options: list[ChoiceOut] | None = None
    prompts: list[ChoiceOut] | None = None
    matches: list[ChoiceOut] | None = None
    items: list[ChoiceOut] | None = None
    response: dict[str, Any] | None
    saved_at: datetime | None
    points_awarded: Decimal | None
    correct: dict[str, Any] | None = Field(description="The right answer, once visible.")
    feedback: str
    explanation_html: str


class AttemptOut(AttemptBriefOut):
    quiz: str
    learner: str
    remaining_seconds: int | None = Field(description="Seconds left before the deadline.")
    results_visible: bool
    answers_visible: bool
    questions: list[QuestionOut]


class AnswerIn(Schema):
    response: dict[str, Any] | None = Field(
        ..., description="The answer in its kind's format (docs/api.md); null clears it."
    )


class SavedOut(Schema):
    position: int
    saved_at: datetime
    remaining_seconds: int | None


class StaffAttemptOut(AttemptBriefOut):
    learner: str
    learner_name: str
    learner_email: str
    essays_pending: int


class GradeIn(Schema):
    points: Decimal = Field(..., description="0 to the question's points, two decimals.")
    feedback: str = Field("", max_length=20000)


# --- Helpers -------------------------------------------------------------------------------


def _quiz_for_learning(request: HttpRequest, public_id: str) -> tuple[Quiz, bool]:
    """The quiz if the caller may open its lesson; ``staff`` when as a preview."""
    quiz = quiz_by_public_id(public_id)
    if quiz is None:
        raise Http404
    access = lesson_access(request.user, quiz.lesson)
    if access.hidden:
        raise Http404
    if not access.allowed:
        raise PermissionDenied(access.reason)
    return quiz, access.staff


def _staff_quiz(request: HttpRequest, public_id: str, code: str) -> Quiz:
    quiz = quiz_by_public_id(public_id)
    if quiz is None:
        raise Http404
    if not (token_allows(request, code) and has_course_perm(request.user, quiz.course, code)):
        raise PermissionDenied(
            _("This needs the %(code)s permission in this course.") % {"code": code}
        )
    return quiz


def _remaining(attempt: Attempt, quiz: Quiz) -> int | None:
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return None
    deadline = effective_deadline(attempt, quiz)
    if deadline is None:
        return None
    return max(0, int((deadline - timezone.now()).total_seconds()))


def _brief(attempt: Attempt, *, show: bool) -> dict[str, Any]:
    return {
        "public_id": attempt.public_id,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "submitted_at": attempt.submitted_at,
        "submitted_by_server": attempt.submitted_by_server,
        "score": attempt.score if show else None,
        "max_score": attempt.max_score,
        "percent": attempt.percent if show else None,
        "needs_grading": attempt.needs_grading,
    }


def _question(view: QuestionView) -> dict[str, Any]:
    snapshot = view.snapshot
    return {
        "position": view.row.position,
        "kind": snapshot.get("kind", ""),
        "title": snapshot.get("title", ""),
        "text_html": snapshot.get("text_html", ""),
        "points": view.points,
        "options": snapshot.get("options"),
        "prompts": snapshot.get("prompts"),
        "matches": snapshot.get("matches"),
        "items": snapshot.get("items"),
        "response": view.response,
        "saved_at": view.row.saved_at,
        "points_awarded": view.points_awarded,
        "correct": view.correct,
        "feedback": view.feedback,
        "explanation_html": view.explanation_html,
    }


def _attempt_out(attempt: Attempt, *, staff: bool) -> dict[str, Any]:
    quiz = attempt.quiz
    submitted = attempt.status == Attempt.Status.SUBMITTED
    show_results = submitted and (staff or results_visible(quiz))
    show_answers = submitted and (staff or answers_visible_now(quiz))
    views = question_views(attempt, show_results=show_results, show_answers=show_answers)
    return {
        **_brief(attempt, show=show_results),
        "quiz": quiz.public_id,
        "learner": attempt.user.public_id,
        "remaining_seconds": _remaining(attempt, quiz),
        "results_visible": show_results,
        "answers_visible": show_answers,
        "questions": [_question(v) for v in views],
    }


# --- Learners --------------------------------------------------------------------------------


@router.get(
    "/quizzes/{public_id}",
    response={200: QuizOut, **_ERRORS},
    summary="A quiz: its rules, your attempts and whether you can start one",
)
def quiz_detail(request: HttpRequest, public_id: str) -> dict[str, Any]:
    quiz, staff = _quiz_for_learning(request, public_id)
    summary = quiz_summary(user=request.user, quiz=quiz, staff=staff)
    reason = summary.window_problem
    if not reason and summary.questions == 0:
        reason = _("This quiz has no questions yet.")
    if not reason and summary.attempts_left == 0:
        reason = _("You have used all your attempts at this quiz.")
    if not reason and staff:
        reason = _("Course staff can preview the quiz but not attempt it.")
    return {
        "public_id": quiz.public_id,
        "lesson": quiz.lesson.public_id,
        "title": quiz.lesson.title,
        "instructions_html": render_markdown(quiz.instructions) if quiz.instructions else "",
        "opens_at": quiz.opens_at,
        "closes_at": quiz.closes_at,
        "due_at": quiz.due_at or quiz.lesson.due_at,
        "time_limit_minutes": summary.time_limit_minutes,
        "questions": summary.questions,
        "attempts_allowed": summary.attempts_allowed,
        "attempts_left": summary.attempts_left,
        "pass_percent": quiz.pass_percent,
        "attempt_policy": quiz.attempt_policy,
        "results_visibility": quiz.results_visibility,
        "answers_visibility": quiz.answers_visibility,
        "open_attempt": summary.open_attempt.public_id if summary.open_attempt else None,
        "can_start": summary.can_start,
        "reason": "" if summary.can_start else reason,
        "counted_percent": summary.counted_percent,
        "passed": summary.passed,
        "attempts": [_brief(a, show=summary.results_visible) for a in summary.attempts],
    }


@router.post(
    "/quizzes/{public_id}/attempts",
    response={200: AttemptOut, 201: AttemptOut, **_WRITE_ERRORS},
    summary="Start an attempt, or resume the open one (200)",
)
def attempt_start(request: HttpRequest, public_id: str) -> Status:
    quiz, _access = _quiz_for_learning(request, public_id)
    user_id = int(request.user.pk or 0)
    before = Attempt.objects.filter(quiz=quiz, user_id=user_id).count()
    try:
        attempt = start_attempt(user=request.user, quiz=quiz)
    except AttemptRefused as exc:
        raise _refused(exc) from None
    attempt = attempt_by_public_id(attempt.public_id) or attempt
    created = Attempt.objects.filter(quiz=quiz, user_id=user_id).count() > before
    return Status(201 if created else 200, _attempt_out(attempt, staff=False))


@router.get(
    "/attempts/{public_id}",
    response={200: AttemptOut, **_ERRORS},
    summary="An attempt with its questions, answers and (when visible) results",
)
def attempt_detail(request: HttpRequest, public_id: str) -> dict[str, Any]:
    attempt = attempt_by_public_id(public_id)
    if attempt is None:
        raise Http404
    if attempt.user_id == request.user.pk:
        return _attempt_out(attempt, staff=False)
    if token_allows(request, "grade.view") and has_course_perm(
        request.user, attempt.quiz.course, "grade.view"
    ):
        return _attempt_out(attempt, staff=True)
    raise PermissionDenied(_("This is not your attempt."))


@router.put(
    "/attempts/{public_id}/answers/{position}",
    response={200: SavedOut, **_WRITE_ERRORS},
    summary="Save one answer of an open attempt (autosave)",
)
def answer_save(
    request: HttpRequest, public_id: str, position: int, payload: AnswerIn
) -> dict[str, Any]:
    attempt = (
        Attempt.objects.filter(public_id=public_id)
        .only("pk", "user_id", "deadline_at", "status", "quiz_id")
        .order_by()
        .first()
    )
    if attempt is None:
        raise Http404
    if attempt.user_id != request.user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    if not 0 < position < 10_000:
        raise _refused(AttemptRefused(_("No such question."), "unknown_question", 404))
    try:
        saved_at = save_answer(
            user=request.user, attempt=attempt, position=position, response=payload.response
        )
    except AttemptRefused as exc:
        raise _refused(exc) from None
    remaining = None
    if attempt.deadline_at is not None:
        remaining = max(0, int((attempt.deadline_at - saved_at).total_seconds()))
    return {"position": position, "saved_at": saved_at, "remaining_seconds": remaining}


@router.post(
    "/attempts/{public_id}/submit",
    response={200: AttemptOut, **_WRITE_ERRORS},
    summary="Submit an attempt for grading (repeating it is harmless)",
)
def attempt_submit(request: HttpRequest, public_id: str) -> dict[str, Any]:
    attempt = own_attempt(request.user, public_id)
    return _attempt_out(submit_attempt(user=request.user, attempt=attempt), staff=False)


# --- Staff -------------------------------------------------------------------------------------


@router.get(
    "/quizzes/{public_id}/attempts",
    response={200: list[StaffAttemptOut], **_ERRORS},
    summary="Every attempt at a quiz (grade.view)",
)
def quiz_attempts(request: HttpRequest, public_id: str) -> list[dict[str, Any]]:
    quiz = _staff_quiz(request, public_id, "grade.view")
    return [
        {
            **_brief(attempt, show=True),
            "learner": attempt.user.public_id,
            "learner_name": attempt.user.full_name,
            "learner_email": attempt.user.email,
            "essays_pending": getattr(attempt, "essays_pending", 0),
        }
        for attempt in staff_attempts(quiz)
    ]


@router.post(
    "/attempts/{public_id}/answers/{position}/grade",
    response={200: QuestionOut, **_WRITE_ERRORS},
    summary="Grade an essay answer by hand (grade.edit)",
)
def answer_grade(
    request: HttpRequest, public_id: str, position: int, payload: GradeIn
) -> dict[str, Any]:
    attempt = attempt_by_public_id(public_id)
    if attempt is None:
        raise Http404
    if not token_allows(request, "grade.edit"):
        raise PermissionDenied(_("This token may not grade."))
    row = AttemptQuestion.objects.filter(attempt=attempt, position=position).first()
    if not has_course_perm(request.user, attempt.quiz.course, "grade.edit"):
        raise PermissionDenied(_("Grading needs the grade.edit permission in this course."))
    if row is None:
        raise Http404
    row.attempt = attempt
    graded = grade_essay(
        actor=request.user, attempt_question=row, points=payload.points, feedback=payload.feedback
    )
    view = QuestionView(
        row=graded,
        snapshot=graded.snapshot,
        response=graded.response,
        points=graded.points,
        points_awarded=graded.points_awarded,
        correct=None,
        feedback=graded.feedback,
        explanation_html=graded.snapshot.get("explanation_html", ""),
    )
    return _question(view)
