"""Quiz pages: the quiz's landing page with the learner's attempts, taking an attempt
(htmx autosave per question, a server-driven countdown), the result page, and the staff's
attempt list, attempt review and essay grading."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from syllabus.assessments.forms_attempts import field_name, response_from_post
from syllabus.assessments.grading import ResponseError, validate_response
from syllabus.assessments.models import Attempt, AttemptQuestion, Quiz
from syllabus.assessments.selectors_attempts import (
    SUBMIT_RELATED,
    attempt_by_public_id,
    attempt_questions,
    own_attempt,
    pending_grading_count,
    question_views,
    quiz_by_public_id,
    quiz_summary,
    staff_attempts,
)
from syllabus.assessments.services_attempts import (
    AttemptRefused,
    answers_visible,
    effective_deadline,
    grade_essay,
    results_visible,
    save_answer,
    save_answers,
    start_attempt,
    submit_attempt,
)
from syllabus.core.markdown import render_markdown
from syllabus.courses.permissions import has_course_perm
from syllabus.learning.access import lesson_access

STAFF_PAGE_SIZE = 50


def _learning_quiz(request: HttpRequest, public_id: str) -> tuple[Quiz, bool]:
    quiz = quiz_by_public_id(public_id)
    if quiz is None:
        raise Http404
    access = lesson_access(request.user, quiz.lesson)
    if access.hidden:
        raise Http404
    if not access.allowed:
        raise PermissionDenied(access.reason)
    return quiz, access.staff


def _staff_quiz(request: HttpRequest, quiz: Quiz, code: str) -> None:
    if not has_course_perm(request.user, quiz.course, code):
        raise PermissionDenied(
            _("This page needs the %(code)s permission in this course.") % {"code": code}
        )


def _remaining(attempt: Attempt) -> int | None:
    deadline = effective_deadline(attempt, attempt.quiz)
    if deadline is None:
        return None
    return max(0, int((deadline - timezone.now()).total_seconds()))


# --- Learners ----------------------------------------------------------------------------------


@login_required
@require_safe
def quiz_home(request: HttpRequest, public_id: str) -> HttpResponse:
    """The quiz's rules, the start or resume button, and the learner's attempts."""
    quiz, staff = _learning_quiz(request, public_id)
    summary = quiz_summary(user=request.user, quiz=quiz, staff=staff)
    return render(
        request,
        "assessments/quiz_home.html",
        {
            "quiz": quiz,
            "lesson": quiz.lesson,
            "course": quiz.course,
            "summary": summary,
            "staff": staff,
            "can_view_attempts": staff and has_course_perm(request.user, quiz.course, "grade.view"),
            "instructions_html": render_markdown(quiz.instructions) if quiz.instructions else "",
        },
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = quiz_by_public_id(public_id)
    if quiz is None:
        raise Http404
    try:  # start_attempt checks the learner's access to the lesson (hidden: 404)
        attempt = start_attempt(user=request.user, quiz=quiz)
    except AttemptRefused as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.message)
        return redirect("assessments:quiz_home", public_id=quiz.public_id)
    return redirect("assessments:attempt_take", public_id=attempt.public_id)


@login_required
@require_safe
def attempt_take(request: HttpRequest, public_id: str) -> HttpResponse:
    """The attempt page, every saved answer in place (after a reload too)."""
    attempt = own_attempt(request.user, public_id)
    remaining = _remaining(attempt)
    if attempt.status == Attempt.Status.SUBMITTED:
        return redirect("assessments:attempt_result", public_id=attempt.public_id)
    if remaining == 0:
        submit_attempt(user=request.user, attempt=attempt)
        messages.info(request, _("Time ran out: your saved answers were submitted."))
        return redirect("assessments:attempt_result", public_id=attempt.public_id)
    return _take_page(request, attempt, remaining=remaining)


def _take_page(
    request: HttpRequest,
    attempt: Attempt,
    *,
    remaining: int | None,
    errors: dict[int, str] | None = None,
    posted: Any = None,
    status: int = 200,
) -> HttpResponse:
    rows = attempt_questions(attempt)
    errors = errors or {}
    questions = []
    for row in rows:
        response = row.response
        if posted is not None:
            try:
                response = response_from_post(row.snapshot, posted, row.position)
            except ResponseError:
                response = row.response
        questions.append(_field_values(row, response or {}, errors.get(row.position, "")))
    return render(
        request,
        "assessments/attempt_take.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "lesson": attempt.quiz.lesson,
            "course": attempt.quiz.course,
            "questions": questions,
            "remaining": remaining,
            "errors": errors,
            "answered": sum(1 for r in rows if r.response is not None),
        },
        status=status,
    )


def _field_values(row: AttemptQuestion, response: dict[str, Any], error: str) -> dict[str, Any]:
    """What the attempt page's fields show for one question (its saved or posted answer)."""
    snapshot = row.snapshot
    kind = snapshot.get("kind")
    chosen: list[str] = []
    if kind == "single" and response.get("option"):
        chosen = [str(response["option"])]
    elif kind == "multiple":
        chosen = [str(o) for o in response.get("options") or ()]
    elif kind == "true_false" and "value" in response:
        chosen = ["true" if response["value"] else "false"]
    pairs: dict[str, str] = response.get("pairs") or {}
    order: list[str] = list(response.get("order") or ())
    field_rows: list[tuple[dict[str, Any], Any]] = []
    if kind == "matching":
        field_rows = [
            (prompt, pairs.get(prompt["id"], "")) for prompt in snapshot.get("prompts", ())
        ]
    elif kind == "ordering":
        field_rows = [
            (item, order.index(item["id"]) + 1 if item["id"] in order else None)
            for item in snapshot.get("items", ())
        ]
    return {
        "row": row,
        "s": snapshot,
        "chosen": chosen,
        "value": response.get("text", response.get("value", ""))
        if kind not in ("true_false",)
        else "",
        "rows": field_rows,
        "places": range(1, len(snapshot.get("items", ())) + 1),
        "error": error,
    }


def _status(
    request: HttpRequest, text: str, *, state: str, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "assessments/attempt_take.html#save-status",
        {"text": text, "state": state, **extra},
        status=status,
    )


@login_required
@require_POST
def attempt_save(request: HttpRequest, public_id: str, position: int) -> HttpResponse:
    """htmx autosave of one answer: a small status fragment ("Saved at 10:02:03")."""
    try:
        attempt = (
            Attempt.objects.filter(public_id=public_id)
            .select_related("quiz")
            .only("pk", "user_id", "status", "deadline_at", "quiz", "quiz__closes_at")
            .get()
        )
    except Attempt.DoesNotExist:
        raise Http404 from None
    if attempt.user_id != request.user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    cleared = False

    def from_form(snapshot: dict[str, Any]) -> Any:
        nonlocal cleared
        response = response_from_post(snapshot, request.POST, position)
        cleared = response is None
        return response

    try:
        saved_at = save_answer(
            user=request.user, attempt=attempt, position=position, response=from_form
        )
    except AttemptRefused as exc:
        if exc.code == "incomplete":  # still answering: say what is missing, save nothing
            return _status(request, exc.message, state="incomplete")
        return _status(request, exc.message, state=exc.code, status=exc.status)
    return _status(
        request,
        "",
        state="saved",
        saved_at=saved_at,
        remaining=_remaining(attempt),
        cleared=cleared,
    )


@login_required
@require_POST
def attempt_submit(request: HttpRequest, public_id: str) -> HttpResponse:
    """Save every answer on the page, then submit (or only save, without scripts). Past
    the deadline the answers on the page are not taken: what was saved is submitted."""
    attempt = own_attempt(request.user, public_id, SUBMIT_RELATED)
    if attempt.status == Attempt.Status.SUBMITTED:
        return redirect("assessments:attempt_result", public_id=attempt.public_id)
    remaining = _remaining(attempt)
    save_only = request.POST.get("action") == "save"
    if remaining != 0:
        responses: dict[int, Any] = {}
        errors: dict[int, str] = {}
        for row in attempt_questions(attempt):
            try:
                response = response_from_post(row.snapshot, request.POST, row.position)
                responses[row.position] = validate_response(row.snapshot, response)
            except ResponseError as exc:
                errors[row.position] = " ".join(exc.messages)
        if not errors:
            try:
                if save_only:
                    save_answers(user=request.user, attempt=attempt, responses=responses)
                else:  # saved and graded in one transaction
                    submitted = submit_attempt(
                        user=request.user, attempt=attempt, responses=responses
                    )
                    return _submitted(request, submitted)
            except AttemptRefused as exc:
                if exc.code == "invalid_answer":
                    errors[0] = exc.message
                elif exc.code == "time_over":  # ran out while saving: submitted below
                    save_only = False
                else:
                    messages.error(request, exc.message)
                    return redirect("assessments:attempt_result", public_id=attempt.public_id)
        if errors:
            return _take_page(
                request,
                attempt,
                remaining=remaining,
                errors=errors,
                posted=request.POST,
                status=422,
            )
        if save_only:
            messages.success(
                request,
                _("Your answers were saved at %(time)s.")
                % {"time": f"{timezone.localtime():%H:%M:%S}"},
            )
            return redirect("assessments:attempt_take", public_id=attempt.public_id)
    # Time is up (or ran out while saving): what was saved in time is submitted.
    return _submitted(request, submit_attempt(user=request.user, attempt=attempt))


def _submitted(request: HttpRequest, submitted: Attempt) -> HttpResponse:
    if submitted.submitted_by_server:
        messages.info(request, _("Time ran out: the answers saved in time were submitted."))
    else:
        messages.success(request, _("Your attempt was submitted."))
    return redirect("assessments:attempt_result", public_id=submitted.public_id)


@login_required
@require_safe
def attempt_result(request: HttpRequest, public_id: str) -> HttpResponse:
    attempt = own_attempt(request.user, public_id)
    if attempt.status != Attempt.Status.SUBMITTED:
        return redirect("assessments:attempt_take", public_id=attempt.public_id)
    quiz = attempt.quiz
    show_results = results_visible(quiz)
    show_answers = answers_visible(quiz)
    return render(
        request,
        "assessments/attempt_result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "lesson": quiz.lesson,
            "course": quiz.course,
            "show_results": show_results,
            "show_answers": show_answers,
            "passed": show_results
            and not attempt.needs_grading
            and attempt.percent is not None
            and attempt.percent >= quiz.pass_percent,
            "questions": question_views(
                attempt, show_results=show_results, show_answers=show_answers
            ),
            "staff": False,
        },
    )


# --- Staff -------------------------------------------------------------------------------------


@login_required
@require_safe
def quiz_attempt_list(request: HttpRequest, public_id: str) -> HttpResponse:
    quiz = quiz_by_public_id(public_id)
    if quiz is None:
        raise Http404
    _staff_quiz(request, quiz, "grade.view")
    page = Paginator(staff_attempts(quiz), STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/staff_attempts.html",
        {
            "quiz": quiz,
            "lesson": quiz.lesson,
            "course": quiz.course,
            "page": page,
            "pending": pending_grading_count(quiz),
        },
    )


@login_required
@require_safe
def attempt_review(request: HttpRequest, public_id: str) -> HttpResponse:
    attempt = attempt_by_public_id(public_id)
    if attempt is None:
        raise Http404
    _staff_quiz(request, attempt.quiz, "grade.view")
    return _review_page(request, attempt)


def _review_page(
    request: HttpRequest,
    attempt: Attempt,
    *,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    submitted = attempt.status == Attempt.Status.SUBMITTED
    return render(
        request,
        "assessments/staff_attempt.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "lesson": attempt.quiz.lesson,
            "course": attempt.quiz.course,
            "questions": question_views(attempt, show_results=submitted, show_answers=True),
            "can_grade": submitted
            and has_course_perm(request.user, attempt.quiz.course, "grade.edit"),
            "errors": errors or {},
            "posted_points": next(
                (request.POST.get(field_name(p, "points"), "") for p in errors or {}), ""
            ),
            "staff": True,
        },
        status=status,
    )


@login_required
@require_POST
def attempt_grade(request: HttpRequest, public_id: str, position: int) -> HttpResponse:
    """A grader's points and feedback for an essay answer."""
    attempt = attempt_by_public_id(public_id)
    if attempt is None:
        raise Http404
    _staff_quiz(request, attempt.quiz, "grade.edit")
    row = AttemptQuestion.objects.filter(attempt=attempt, position=position).first()
    if row is None:
        raise Http404
    row.attempt = attempt
    try:
        grade_essay(
            actor=request.user,
            attempt_question=row,
            points=request.POST.get(field_name(position, "points"), ""),
            feedback=request.POST.get(field_name(position, "feedback"), ""),
        )
    except ValidationError as exc:
        return _review_page(request, attempt, errors={position: " ".join(exc.messages)}, status=422)
    messages.success(request, _("Question %(position)s graded.") % {"position": position})
    return redirect(
        reverse("assessments:attempt_review", args=[attempt.public_id]) + f"#q{position}"
    )
