"""Taking quizzes: start (or resume) an attempt, autosave answers, submit (idempotent),
expire attempts whose time ran out, grade essays by hand, regrade after a question was
fixed. Every score change of a submitted attempt updates the learner's counted result in
the gradebook and completes the quiz lesson once it is passed.

Concurrency:

- ``start_attempt``: the ``assess_one_open_attempt`` constraint lets one of two
  concurrent starts insert; the other resumes the attempt that won.
- ``save_answer`` locks the attempt row in ``FOR NO KEY UPDATE`` mode (PostgreSQL; the
  SQLite write lock elsewhere) before writing one answer, so it either lands before a
  submit reads the answers or finds the attempt submitted and is refused; it never
  loads the other questions of the attempt.
- ``submit_attempt`` locks the attempt row ``FOR UPDATE``: a second submit (a double
  click, a retried request, the expiry job) waits, sees it submitted and returns it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from syllabus.assessments.grading import (
    MAX_ESSAY,
    ResponseError,
    grade_response,
    is_auto_graded,
    quantize,
    validate_response,
)
from syllabus.assessments.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    Quiz,
    QuizSlot,
)
from syllabus.audit.services import linked_at_the_end, record
from syllabus.core.markdown import render_markdown
from syllabus.courses.models import Lesson
from syllabus.courses.permissions import has_course_perm

_rng = random.SystemRandom()
HUNDRED = Decimal(100)


class AttemptRefused(Exception):
    """A refusal the learner can understand: an HTTP status, a stable code, a sentence."""

    def __init__(self, message: str, code: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


# --- Snapshots ---------------------------------------------------------------------------


def _shuffled(items: list[Any], *, shuffle: bool) -> list[Any]:
    items = list(items)
    if shuffle:
        _rng.shuffle(items)
    return items


def _scrambled(items: list[Any]) -> list[Any]:
    """A shuffle that differs from the given order when it can (ordering questions)."""
    if len(items) < 2:
        return list(items)
    for _try in range(10):
        mixed = _shuffled(items, shuffle=True)
        if mixed != items:
            return mixed
    return items[1:] + items[:1]


def question_snapshot(question: Question, *, shuffle_options: bool) -> dict[str, Any]:
    """The question as a learner will see it (options in the order shown) with its answer
    key kept apart under ``key``."""
    config = question.config if isinstance(question.config, dict) else {}
    snapshot: dict[str, Any] = {
        "kind": question.kind,
        "title": question.title,
        "text_html": question.text_html or render_markdown(question.text),
        "points": str(question.points),
        "explanation_html": render_markdown(question.explanation) if question.explanation else "",
        "key": config,
    }
    kind = question.kind
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        options = [
            {"id": str(o["id"]), "text": str(o.get("text", ""))} for o in config.get("options", ())
        ]
        snapshot["options"] = _shuffled(options, shuffle=shuffle_options)
    elif kind == Question.Kind.MATCHING:
        pairs = config.get("pairs", ())
        prompts = [{"id": str(p["id"]), "text": str(p.get("prompt", ""))} for p in pairs]
        matches = [{"id": str(p["id"]), "text": str(p.get("match", ""))} for p in pairs]
        snapshot["prompts"] = _shuffled(prompts, shuffle=shuffle_options)
        snapshot["matches"] = _scrambled(matches)
    elif kind == Question.Kind.ORDERING:
        items = [
            {"id": str(i["id"]), "text": str(i.get("text", ""))} for i in config.get("items", ())
        ]
        snapshot["items"] = _scrambled(items)
    return snapshot


def _refresh_key(snapshot: dict[str, Any], question: Question) -> dict[str, Any]:
    """A regrade: the current answer key, points and explanation; what was shown stays."""
    fresh = dict(snapshot)
    fresh["key"] = question.config if isinstance(question.config, dict) else {}
    fresh["points"] = str(question.points)
    fresh["explanation_html"] = (
        render_markdown(question.explanation) if question.explanation else ""
    )
    return fresh


# --- Drawing questions -----------------------------------------------------------------------


def draw_questions(quiz: Quiz) -> list[Question]:
    """The questions of a new attempt: each slot's fixed question, or ``count`` random
    non-archived questions from its bank (and/or tag), never the same question twice."""
    chosen: list[Question] = []
    seen: set[int] = set()
    for slot in (
        QuizSlot.objects.filter(quiz=quiz).select_related("question").order_by("position", "pk")
    ):
        if slot.question_id is not None:
            question = slot.question
            if question is not None and not question.is_archived and question.pk not in seen:
                chosen.append(question)
                seen.add(question.pk)
            continue
        pool = Question.objects.filter(course_id=quiz.course_id, is_archived=False).exclude(
            pk__in=seen
        )
        if slot.bank_id is not None:
            pool = pool.filter(bank_id=slot.bank_id)
        if slot.tag_id is not None:
            pool = pool.filter(tags=slot.tag_id)
        ids = list(pool.values_list("pk", flat=True).distinct())
        picked = _rng.sample(ids, min(slot.count, len(ids)))
        by_id = Question.objects.in_bulk(picked)
        for pk in picked:
            chosen.append(by_id[pk])
            seen.add(pk)
    return chosen


# --- Rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What one learner may do on one quiz."""

    attempts_allowed: int  # 0: any number
    used: int
    extra_minutes: int

    @property
    def attempts_left(self) -> int | None:
        return None if self.attempts_allowed == 0 else max(0, self.attempts_allowed - self.used)


def allowance(*, user: Any, quiz: Quiz, used: int | None = None) -> Allowance:
    """``used``: how many attempts the learner has started, when the caller has them
    loaded already (saves a query)."""
    accommodation = (
        Accommodation.objects.filter(quiz=quiz, user=user)
        .values("extra_minutes", "extra_attempts")
        .first()
    ) or {"extra_minutes": 0, "extra_attempts": 0}
    allowed = quiz.attempts_allowed
    if allowed:
        allowed += accommodation["extra_attempts"]
    if used is None:
        used = Attempt.objects.filter(quiz=quiz, user=user).count()
    return Allowance(allowed, used, accommodation["extra_minutes"])


def open_problem(quiz: Quiz, now: datetime) -> tuple[str, str]:
    """``(code, sentence)`` when no attempt may start now because of the window."""
    if quiz.opens_at and quiz.opens_at > now:
        when = date_format(timezone.localtime(quiz.opens_at), "DATETIME_FORMAT")
        return "quiz_not_open", _("This quiz opens on %(when)s.") % {"when": when}
    if quiz.closes_at and quiz.closes_at <= now:
        return "quiz_closed", _("This quiz has closed.")
    return "", ""


def _lesson_of(quiz: Quiz) -> Lesson:
    """The quiz's lesson with its course and module: the ones loaded with the quiz
    (``quiz_by_public_id``), else from the database."""
    if Quiz.lesson.is_cached(quiz):
        lesson = quiz.lesson
        if Lesson.course.is_cached(lesson) and Lesson.module.is_cached(lesson):
            return lesson
    return Lesson.objects.select_related("course", "module").get(pk=quiz.lesson_id)


def _check_learner(user: Any, lesson: Lesson, now: datetime) -> None:
    from syllabus.learning.access import lesson_access

    access = lesson_access(user, lesson, now=now)
    if access.hidden:
        raise AttemptRefused(_("Not found."), "not_found", 404)
    if not access.allowed:
        raise PermissionDenied(access.reason)
    if access.staff:
        raise PermissionDenied(_("Course staff can preview the quiz but not attempt it."))


# --- Start -----------------------------------------------------------------------------------


def start_attempt(*, user: Any, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the learner's open one (a reload, a second tab or two
    concurrent clicks all land in the same attempt)."""
    now = now or timezone.now()
    lesson = _lesson_of(quiz)
    _check_learner(user, lesson, now)
    existing = Attempt.objects.filter(
        quiz=quiz, user=user, status=Attempt.Status.IN_PROGRESS
    ).first()
    if existing is not None:
        if not _time_over(existing, quiz, now):
            return existing
        existing.quiz = quiz  # its own quiz: not read again by the submit
        submit_attempt(user=user, attempt=existing, now=now, by_server=True)
    code, problem = open_problem(quiz, now)
    if problem:
        raise AttemptRefused(problem, code)
    rules = allowance(user=user, quiz=quiz)
    if rules.attempts_left == 0:
        raise AttemptRefused(_("You have used all your attempts at this quiz."), "no_attempts_left")
    questions = draw_questions(quiz)
    if not questions:
        raise AttemptRefused(_("This quiz has no questions yet."), "quiz_empty")
    if quiz.shuffle_questions:
        _rng.shuffle(questions)
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes + rules.extra_minutes)
    if quiz.closes_at and (deadline is None or quiz.closes_at < deadline):
        deadline = quiz.closes_at
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz,
                user=user,
                number=rules.used + 1,
                started_at=now,
                deadline_at=deadline,
                max_score=sum((q.points for q in questions), Decimal(0)),
            )
            AttemptQuestion.objects.bulk_create(
                AttemptQuestion(
                    attempt=attempt,
                    position=position,
                    question=question,
                    question_version=question.version,
                    snapshot=question_snapshot(question, shuffle_options=quiz.shuffle_options),
                    points=question.points,
                )
                for position, question in enumerate(questions, start=1)
            )
            record(
                actor=user,
                action="quiz.attempt_started",
                target=attempt,
                details={
                    "quiz": quiz.public_id,
                    "number": attempt.number,
                    "questions": len(questions),
                    "deadline_at": deadline.isoformat() if deadline else None,
                },
            )
    except IntegrityError:
        # A concurrent start won the race (same number, or the one open attempt).
        winner = Attempt.objects.filter(
            quiz=quiz, user=user, status=Attempt.Status.IN_PROGRESS
        ).first()
        if winner is None:
            raise AttemptRefused(
                _("Another attempt was started at the same moment; reload the page."), "conflict"
            ) from None
        return winner
    return attempt


# --- Autosave --------------------------------------------------------------------------------


def effective_deadline(attempt: Attempt, quiz: Quiz) -> datetime | None:
    """The attempt's deadline, or the quiz's closing when that was moved earlier since
    the attempt started (running attempts end when the quiz closes)."""
    moments = [m for m in (attempt.deadline_at, quiz.closes_at) if m is not None]
    return min(moments) if moments else None


def _time_over(attempt: Attempt, quiz: Quiz, now: datetime) -> bool:
    deadline = effective_deadline(attempt, quiz)
    return deadline is not None and deadline <= now


def save_answer(
    *,
    user: Any,
    attempt: Attempt,
    response: Any,
    position: int | None = None,
    question_public_id: str | None = None,
    now: datetime | None = None,
) -> datetime:
    """Save one answer of an open attempt (the learner's own) and return when it was
    saved. ``response`` None clears the answer; it may also be a function of the
    question's snapshot that returns the answer (the page reads its form fields by kind)
    and raises ``ResponseError``. Refused, with nothing written, when the attempt is
    submitted or its time is over, the question is not in the attempt, or the answer
    does not fit the question.

    The hot path of a quiz: one locking read of the question's snapshot and the
    attempt's state, one UPDATE of that answer."""
    now = now or timezone.now()
    if attempt.user_id != user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    rows = AttemptQuestion.objects.filter(attempt_id=attempt.pk)
    if position is not None:
        rows = rows.filter(position=position)
    elif question_public_id is not None:
        rows = rows.filter(question__public_id=question_public_id)
    else:
        raise ValueError("save_answer needs a position or a question_public_id.")
    with transaction.atomic():
        try:
            row = (
                rows.select_related("attempt__quiz")
                .select_for_update(no_key=True, of=("attempt",))
                .only(
                    "pk",
                    "snapshot",
                    "attempt",
                    "attempt__status",
                    "attempt__deadline_at",
                    "attempt__quiz",
                    "attempt__quiz__closes_at",
                )
                .get()
            )
        except AttemptQuestion.DoesNotExist:
            raise AttemptRefused(
                _("This question is not part of the attempt."), "unknown_question", 404
            ) from None
        if row.attempt.status != Attempt.Status.IN_PROGRESS:
            raise AttemptRefused(_("This attempt has been submitted."), "attempt_submitted")
        if _time_over(row.attempt, row.attempt.quiz, now):
            raise AttemptRefused(_("Time is up: answers are no longer accepted."), "time_over")
        try:
            given = response(row.snapshot) if callable(response) else response
            value = validate_response(row.snapshot, given)
        except ResponseError as exc:
            code = getattr(exc, "refusal_code", "invalid_answer")
            raise AttemptRefused(" ".join(exc.messages), code, 422) from None
        AttemptQuestion.objects.filter(pk=row.pk).update(response=value, saved_at=now)
    return now


def save_answers(
    *, user: Any, attempt: Attempt, responses: dict[int, Any], now: datetime | None = None
) -> int:
    """Save several answers at once (the attempt form, sent on submit or without
    scripts): all or none, and only those that changed (one read, one update). Returns
    how many changed."""
    now = now or timezone.now()
    if attempt.user_id != user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    with transaction.atomic():
        locked = (
            Attempt.objects.select_for_update(no_key=True, of=("self",))
            .select_related("quiz")
            .only("pk", "status", "deadline_at", "quiz", "quiz__closes_at")
            .get(pk=attempt.pk)
        )
        if locked.status != Attempt.Status.IN_PROGRESS:
            raise AttemptRefused(_("This attempt has been submitted."), "attempt_submitted")
        if _time_over(locked, locked.quiz, now):
            raise AttemptRefused(_("Time is up: answers are no longer accepted."), "time_over")
        rows = AttemptQuestion.objects.filter(attempt_id=attempt.pk).only(
            "pk", "position", "snapshot", "response"
        )
        changed = _take_answers(list(rows), responses, now)
        AttemptQuestion.objects.bulk_update(changed, ["response", "saved_at"])
    return len(changed)


def _take_answers(
    rows: list[AttemptQuestion], responses: dict[int, Any], now: datetime
) -> list[AttemptQuestion]:
    """Check ``responses`` (by position) against the attempt's ``rows`` and put each
    changed answer on its row (unsaved); returns the rows that changed. Refused as a whole
    when a position is not in the attempt or an answer does not fit its question."""
    by_position = {row.position: row for row in rows}
    changed = []
    for position, response in sorted(responses.items()):
        row = by_position.get(position)
        if row is None:
            raise AttemptRefused(
                _("Question %(position)s is not part of the attempt.") % {"position": position},
                "unknown_question",
                404,
            )
        try:
            value = validate_response(row.snapshot, response)
        except ResponseError as exc:
            raise AttemptRefused(
                _("Question %(position)s: %(problem)s")
                % {"position": position, "problem": " ".join(exc.messages)},
                "invalid_answer",
                422,
            ) from None
        if value != row.response:
            row.response = value
            row.saved_at = now
            changed.append(row)
    return changed


# --- Scores ----------------------------------------------------------------------------------


def _percent(score: Decimal, maximum: Decimal) -> Decimal:
    return (score * HUNDRED / maximum) if maximum > 0 else Decimal(0)


def _rescore(attempt: Attempt, rows: Iterable[AttemptQuestion]) -> None:
    """Total the points of ``rows`` (every question of the attempt) into the attempt."""
    score = Decimal(0)
    maximum = Decimal(0)
    pending = False
    for row in rows:
        maximum += row.points
        if row.points_awarded is None:
            pending = True
        else:
            score += row.points_awarded
    attempt.score = quantize(score)
    attempt.max_score = quantize(maximum)
    attempt.percent = quantize(_percent(score, maximum))
    attempt.needs_grading = pending


@dataclass(frozen=True)
class Counted:
    """The result that counts for a learner on a quiz under its attempt policy."""

    percent: Decimal | None  # None: nothing counts yet (no attempt, or one awaits a grader)
    attempts: int
    pending: bool


def counted_result(*, user: Any, quiz: Quiz, loaded: Iterable[Attempt] | None = None) -> Counted:
    """``loaded``: every attempt of the learner on the quiz, when the caller has them
    (saves a query)."""
    if loaded is None:
        attempts = list(
            Attempt.objects.filter(quiz=quiz, user=user, status=Attempt.Status.SUBMITTED)
            .order_by("number")
            .values("score", "max_score", "needs_grading")
        )
    else:
        attempts = [
            {"score": a.score, "max_score": a.max_score, "needs_grading": a.needs_grading}
            for a in sorted(loaded, key=lambda a: a.number)
            if a.status == Attempt.Status.SUBMITTED
        ]
    if not attempts:
        return Counted(None, 0, False)
    pending = any(a["needs_grading"] for a in attempts)

    def pct(a: Any) -> Decimal:
        return _percent(a["score"] or Decimal(0), a["max_score"])

    policy = quiz.attempt_policy
    if policy == Quiz.AttemptPolicy.LATEST:
        latest = attempts[-1]
        value = None if latest["needs_grading"] else pct(latest)
        return Counted(value, len(attempts), latest["needs_grading"])
    if policy == Quiz.AttemptPolicy.AVERAGE:
        if pending:
            return Counted(None, len(attempts), True)
        total = sum((pct(a) for a in attempts), Decimal(0))
        return Counted(total / len(attempts), len(attempts), False)
    graded = [pct(a) for a in attempts if not a["needs_grading"]]
    return Counted(max(graded) if graded else None, len(attempts), pending and not graded)


def _publish_result(*, user: Any, quiz: Quiz, actor: Any) -> None:
    """Write the counted result into the gradebook (when the quiz has an item there) and
    complete the lesson once it is passed."""
    from syllabus.grades.services import source_grade_record, source_item
    from syllabus.learning.services import lesson_result_complete

    counted = counted_result(user=user, quiz=quiz)
    item = source_item(kind="quiz", source_id=quiz.pk)
    if item is not None:
        points = None
        if counted.percent is not None:
            points = min(item.max_points, quantize(counted.percent * item.max_points / HUNDRED))
        source_grade_record(
            kind="quiz", source_id=quiz.pk, user=user, points=points, actor=actor, item=item
        )
    if counted.percent is not None and counted.percent >= quiz.pass_percent:
        lesson_result_complete(user=user, lesson=quiz.lesson)


# --- Submit ----------------------------------------------------------------------------------


def submit_attempt(
    *,
    user: Any,
    attempt: Attempt,
    now: datetime | None = None,
    by_server: bool = False,
    responses: dict[int, Any] | None = None,
) -> Attempt:
    """Grade and close an attempt with the answers saved. Idempotent: a second call (a
    double click, a retry, the expiry job racing the learner) returns the submitted
    attempt and grades nothing again. Past the deadline the attempt is closed as expired
    (``submitted_by_server``), with only what was saved in time.

    ``responses`` (by position): answers sent with the submit (the attempt form), saved
    first in the same transaction, all or none, like ``save_answers``; ignored past the
    deadline. A refused answer refuses the submit, with nothing written."""
    return _submit(
        user=user,
        attempt_id=attempt.pk,
        now=now or timezone.now(),
        by_server=by_server,
        responses=responses,
        quiz=attempt.quiz,
    )[0]


def _submit(
    *,
    user: Any,
    attempt_id: int,
    now: datetime,
    by_server: bool,
    responses: dict[int, Any] | None = None,
    quiz: Quiz | None = None,
) -> tuple[Attempt, bool]:
    """``(attempt, whether this call submitted it)``, the attempt carrying the quiz and
    learner given. ``quiz``: the attempt's quiz with its lesson and course, when the
    caller has it already."""
    # The audit events are linked into their chains as the transaction ends: the grade
    # event's chain lock is then held for the commit, not for the rest of the grading
    # (500 learners submitting together waited on it, bench/RESULTS.md).
    with transaction.atomic(), linked_at_the_end():
        # Only the attempt's row is locked and read again (its status may have changed);
        # the quiz and the learner the caller holds are used as they are.
        locked = Attempt.objects.select_for_update().get(pk=attempt_id)
        if not by_server and locked.user_id != user.pk:
            raise PermissionDenied(_("This is not your attempt."))
        given_quiz = quiz if quiz is not None and quiz.pk == locked.quiz_id else None
        if given_quiz is not None:
            locked.quiz = given_quiz
        if user is not None and user.pk == locked.user_id:
            locked.user = user
        if locked.status == Attempt.Status.SUBMITTED:
            return locked, False
        if given_quiz is None:
            locked.quiz = Quiz.objects.select_related("lesson__course").get(pk=locked.quiz_id)
        expired = _time_over(locked, locked.quiz, now)
        deadline = effective_deadline(locked, locked.quiz)
        rows = list(AttemptQuestion.objects.filter(attempt=locked).order_by("position"))
        answered = _take_answers(rows, responses, now) if responses and not expired else []
        for row in rows:
            row.points_awarded = grade_response(row.snapshot, row.response, row.points)
        # Two narrow updates cost less than one of three fields: bulk_update writes a CASE
        # per field and row, and the answers usually came with the autosave already.
        AttemptQuestion.objects.bulk_update(rows, ["points_awarded"])
        if answered:
            AttemptQuestion.objects.bulk_update(answered, ["response", "saved_at"])
        _rescore(locked, rows)
        locked.status = Attempt.Status.SUBMITTED
        locked.submitted_at = min(now, deadline) if expired and deadline else now
        locked.submitted_by_server = by_server or expired
        locked.save(
            update_fields=[
                "status",
                "submitted_at",
                "submitted_by_server",
                "score",
                "max_score",
                "percent",
                "needs_grading",
            ]
        )
        learner = locked.user
        actor = None if by_server else user
        _publish_result(user=learner, quiz=locked.quiz, actor=actor)
        record(
            actor=actor,
            action=(
                "quiz.attempt_expired" if locked.submitted_by_server else "quiz.attempt_submitted"
            ),
            target=locked,
            details={
                "quiz": locked.quiz.public_id,
                "learner": learner.public_id,
                "number": locked.number,
                "score": str(locked.score),
                "max_score": str(locked.max_score),
                "needs_grading": locked.needs_grading,
                "answered": sum(1 for r in rows if r.response is not None),
            },
        )
    return locked, True


def expire_attempts(now: datetime | None = None) -> int:
    """Submit every open attempt whose deadline passed, with what was saved (the periodic
    job). Idempotent: an attempt submitted meanwhile is skipped. Returns how many this
    call closed."""
    now = now or timezone.now()
    closed = 0
    ids = list(
        Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS)
        .filter(Q(deadline_at__lte=now) | Q(quiz__closes_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        _attempt, submitted = _submit(user=None, attempt_id=pk, now=now, by_server=True)
        closed += int(submitted)
    return closed


# --- Grading by hand and regrading -----------------------------------------------------------


def _grade_perm(actor: Any, quiz: Quiz) -> None:
    if not has_course_perm(actor, quiz.course, "grade.edit"):
        raise PermissionDenied(_("Grading needs the grade.edit permission in this course."))


def grade_essay(
    *, actor: Any, attempt_question: AttemptQuestion, points: Any, feedback: str = ""
) -> AttemptQuestion:
    """A grader's points (0..the question's points, to the cent) and feedback for an
    essay answer of a submitted attempt; the attempt's score and the gradebook follow."""
    quiz = Quiz.objects.select_related("course", "lesson").get(pk=attempt_question.attempt.quiz_id)
    _grade_perm(actor, quiz)
    if attempt_question.snapshot.get("kind") != Question.Kind.ESSAY:
        raise ValidationError(_("Only essay answers are graded by hand."))
    try:
        value = Decimal(str(points).strip())
    except ArithmeticError:
        raise ValidationError(_("Points must be a number.")) from None
    if not value.is_finite() or value < 0 or value > attempt_question.points:
        raise ValidationError(
            _("Points must be between 0 and %(points)s.") % {"points": attempt_question.points}
        )
    if value != quantize(value):
        raise ValidationError(_("Points have at most two decimals."))
    value = quantize(value)
    feedback = (feedback or "").strip()
    if len(feedback) > MAX_ESSAY:
        raise ValidationError(
            _("Feedback has at most %(max_essay)s characters.") % {"max_essay": MAX_ESSAY}
        )
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("user")
            .get(pk=attempt_question.attempt_id)
        )
        if attempt.status != Attempt.Status.SUBMITTED:
            raise ValidationError(_("The attempt is still in progress."))
        row = AttemptQuestion.objects.select_for_update().get(pk=attempt_question.pk)
        previous = row.points_awarded
        row.points_awarded = value
        row.feedback = feedback
        row.graded_by = actor
        row.graded_at = timezone.now()
        row.save(update_fields=["points_awarded", "feedback", "graded_by", "graded_at"])
        _rescore(attempt, AttemptQuestion.objects.filter(attempt=attempt))
        attempt.save(update_fields=["score", "max_score", "percent", "needs_grading"])
        _publish_result(user=attempt.user, quiz=quiz, actor=actor)
        record(
            actor=actor,
            action="quiz.answer_graded",
            target=attempt,
            details={
                "position": row.position,
                "question": row.question.public_id,
                "learner": attempt.user.public_id,
                "points": str(value),
                "previous": None if previous is None else str(previous),
            },
        )
    attempt_question.points_awarded = row.points_awarded
    attempt_question.feedback = row.feedback
    return row


def attempts_behind(question: Question) -> int:
    """Submitted attempts that were graded with an earlier version of ``question``."""
    return (
        AttemptQuestion.objects.filter(
            question=question,
            question_version__lt=question.version,
            attempt__status=Attempt.Status.SUBMITTED,
        )
        .values("attempt_id")
        .distinct()
        .count()
    )


def regrade_question(*, actor: Any, question: Question) -> int:
    """Bring every submitted attempt that used an earlier version of ``question`` to its
    current answer key and points, grade those answers again, total the attempts and
    update the learners' counted results. Essay points already given are kept (capped
    to the new points). Returns how many attempts changed; audited as ``quiz.regraded``."""
    question = Question.objects.select_related("course").get(pk=question.pk)
    if not has_course_perm(actor, question.course, "grade.edit"):
        raise PermissionDenied(_("Regrading needs the grade.edit permission in this course."))
    with transaction.atomic():
        rows = list(
            AttemptQuestion.objects.select_for_update()
            .filter(
                question=question,
                question_version__lt=question.version,
                attempt__status=Attempt.Status.SUBMITTED,
            )
            .order_by("attempt_id")
        )
        changed_points = 0
        attempt_ids = sorted({row.attempt_id for row in rows})
        for row in rows:
            before = row.points_awarded
            row.snapshot = _refresh_key(row.snapshot, question)
            row.points = question.points
            row.question_version = question.version
            if is_auto_graded(row.snapshot):
                row.points_awarded = grade_response(row.snapshot, row.response, row.points)
            elif row.points_awarded is not None:
                row.points_awarded = min(row.points_awarded, row.points)
            changed_points += int(before != row.points_awarded)
        AttemptQuestion.objects.bulk_update(
            rows, ["snapshot", "points", "question_version", "points_awarded"]
        )
        learners: set[tuple[int, int]] = set()
        attempts = Attempt.objects.select_for_update().filter(pk__in=attempt_ids)
        for attempt in attempts:
            _rescore(attempt, AttemptQuestion.objects.filter(attempt=attempt))
            attempt.save(update_fields=["score", "max_score", "percent", "needs_grading"])
            learners.add((attempt.user_id, attempt.quiz_id))
        from syllabus.accounts.models import User

        users = User.objects.in_bulk({u for u, _q in learners})
        quizzes = Quiz.objects.select_related("lesson").in_bulk({q for _u, q in learners})
        for user_id, quiz_id in sorted(learners):
            _publish_result(user=users[user_id], quiz=quizzes[quiz_id], actor=actor)
        record(
            actor=actor,
            action="quiz.regraded",
            target=question,
            details={
                "version": question.version,
                "attempts": len(attempt_ids),
                "answers": len(rows),
                "points_changed": changed_points,
                "learners": len({u for u, _q in learners}),
            },
        )
    return len(attempt_ids)


# --- Visibility ------------------------------------------------------------------------------


def _due(quiz: Quiz) -> datetime | None:
    return quiz.due_at or quiz.lesson.due_at


def _visible(setting: str, quiz: Quiz, now: datetime) -> bool:
    if setting == Quiz.Visibility.NEVER:
        return False
    if setting == Quiz.Visibility.AFTER_DUE:
        due = _due(quiz)
        return due is None or due <= now
    return True


def results_visible(quiz: Quiz, now: datetime | None = None) -> bool:
    """May learners see their scores now? (``after_due`` with no due date: at once.)"""
    return _visible(quiz.results_visibility, quiz, now or timezone.now())


def answers_visible(quiz: Quiz, now: datetime | None = None) -> bool:
    """May learners see the right answers now? Never before they may see their score."""
    now = now or timezone.now()
    return results_visible(quiz, now) and _visible(quiz.answers_visibility, quiz, now)
