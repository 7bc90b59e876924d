"""Matrix rows: taking quizzes (learners of the course; course staff may open the quiz
page as a preview), one's own attempts (their learner only), and the staff's attempt
list and review (grade.view) and essay grading (grade.edit)."""

from __future__ import annotations

from typing import Any

from syllabus.assessments.models import Attempt
from syllabus.assessments.services_attempts import save_answer, start_attempt, submit_attempt
from syllabus.assessments.tests.attempt_factories import make_quiz, right
from tests.permissions.matrix import Row, only

OPENERS = only("learner", "instructor", "manager", "admin")
LEARNER = only("learner")
GRADE_VIEW = only("instructor", "manager", "auditor", "admin")
GRADE_EDIT = only("instructor", "admin")


def _quiz(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["taking_quiz"]}


def _open(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["taking_open_attempt"]}


def _done(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["taking_done_attempt"]}


UI: dict[str, Row] = {
    "assessments:quiz_home": Row(OPENERS, kwargs=_quiz),
    "assessments:quiz_start": Row(LEARNER, method="post", kwargs=_quiz, data={}),
    "assessments:attempt_take": Row(LEARNER, kwargs=_open),
    "assessments:attempt_save": Row(
        LEARNER,
        method="post",
        kwargs=lambda c: {"public_id": c["taking_open_attempt"], "position": 1},
        data={"a1": "oa"},
    ),
    "assessments:attempt_submit": Row(
        LEARNER, method="post", kwargs=_open, data={"action": "save"}
    ),
    "assessments:attempt_result": Row(LEARNER, kwargs=_done),
    "assessments:quiz_attempt_list": Row(GRADE_VIEW, kwargs=_quiz),
    "assessments:attempt_review": Row(GRADE_VIEW, kwargs=_done),
    "assessments:attempt_grade": Row(
        GRADE_EDIT,
        method="post",
        kwargs=lambda c: {"public_id": c["taking_done_attempt"], "position": 2},
        data={"a2-points": "0.5", "a2-feedback": "Fine."},
    ),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/quizzes/{public_id}"): Row(OPENERS, kwargs=_quiz),
    ("POST", "/api/v1/quizzes/{public_id}/attempts"): Row(LEARNER, kwargs=_quiz),
    ("GET", "/api/v1/quizzes/{public_id}/attempts"): Row(GRADE_VIEW, kwargs=_quiz),
    ("GET", "/api/v1/attempts/{public_id}"): Row(LEARNER | GRADE_VIEW, kwargs=_done),
    ("PUT", "/api/v1/attempts/{public_id}/answers/{position}"): Row(
        LEARNER,
        kwargs=lambda c: {"public_id": c["taking_open_attempt"], "position": 1},
        data={"response": {"option": "oa"}},
    ),
    ("POST", "/api/v1/attempts/{public_id}/submit"): Row(LEARNER, kwargs=_open),
    ("POST", "/api/v1/attempts/{public_id}/answers/{position}/grade"): Row(
        GRADE_EDIT,
        kwargs=lambda c: {"public_id": c["taking_done_attempt"], "position": 2},
        data={"points": "0.5", "feedback": "Fine."},
    ),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    """A quiz (a single-choice question and an essay) in the matrix course; the matrix
    learner has a submitted attempt with an essay to grade and an open second one."""
    learner = base["people"]["learner"]
    quiz = make_quiz(course=base["course_obj"], kinds=("single", "essay"), attempts_allowed=0)
    done = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=done, position=2, response=right("essay"))
    submit_attempt(user=learner, attempt=done)
    second = start_attempt(user=learner, quiz=quiz)
    assert Attempt.objects.filter(quiz=quiz).count() == 2
    # Keys of their own: the areas' worlds share one dict (quiz_authoring has a "quiz").
    return {
        "taking_quiz": quiz.public_id,
        "taking_open_attempt": second.public_id,
        "taking_done_attempt": done.public_id,
    }
