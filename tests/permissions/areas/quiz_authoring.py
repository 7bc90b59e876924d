"""Matrix rows of quiz authoring: the question bank, question, quiz settings, slots and
accommodation pages and API.

Everything needs ``course.edit`` in the course: the world course's instructor and
administrators. Rows that delete something get a fresh object on every call (the matrix
calls each row once per persona, in order), so an earlier persona's success never turns
a later persona's refusal into a 404.
"""

from __future__ import annotations

from typing import Any

from syllabus.assessments.models import Question, QuestionBank, Quiz, QuizSlot
from syllabus.assessments.services_authoring import (
    bank_create,
    question_create,
    slot_add,
)
from syllabus.courses.models import Lesson, Module
from tests.permissions.matrix import Row, only

EDITORS = only("instructor", "admin")
TRUE_FALSE = {
    "kind": "true_false",
    "title": "Matrix statement",
    "text": "The sky is blue.",
    "config": {"answer": True},
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    module = Module.objects.create(course=course, title="Quiz module", position=99)
    lesson = Lesson.objects.create(
        course=course, module=module, title="Matrix quiz", kind="quiz", position=0
    )
    quiz = Quiz.objects.create(lesson=lesson, course=course)
    bank = bank_create(actor=None, course=course, name="Matrix bank")
    question = question_create(actor=None, bank=bank, **TRUE_FALSE, tags=["matrix"])
    slot = slot_add(actor=None, quiz=quiz, bank=bank, count=1)
    return {
        "quiz_lesson": lesson.public_id,
        "quiz": quiz.public_id,
        "bank": bank.public_id,
        "question": question.public_id,
        "slot": slot.pk,
    }


def _fresh_bank(c: dict[str, Any]) -> QuestionBank:
    course = c["course_obj"]
    return bank_create(actor=None, course=course, name=f"Fresh bank {QuestionBank.objects.count()}")


def _fresh_question(c: dict[str, Any]) -> Question:
    bank = QuestionBank.objects.get(public_id=c["bank"])
    return question_create(actor=None, bank=bank, **TRUE_FALSE)


def _fresh_slot(c: dict[str, Any]) -> QuizSlot:
    quiz = Quiz.objects.get(public_id=c["quiz"])
    bank = QuestionBank.objects.get(public_id=c["bank"])
    return slot_add(actor=None, quiz=quiz, bank=bank, count=1)


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


def _bank(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["bank"]}


def _question(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["question"]}


def _lesson(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["quiz_lesson"]}


def _quiz(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["quiz"]}


def _learner(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["quiz_lesson"], "learner_id": c["people"]["learner"].public_id}


UI: dict[str, Row] = {
    "assessments:bank_list": Row(EDITORS, kwargs=_course),
    "assessments:bank_detail": Row(EDITORS, kwargs=_bank),
    "assessments:bank_edit": Row(EDITORS, kwargs=_bank),
    "assessments:bank_delete": Row(
        EDITORS, method="post", kwargs=lambda c: {"public_id": _fresh_bank(c).public_id}
    ),
    "assessments:question_new": Row(
        EDITORS, kwargs=lambda c: {"public_id": c["bank"], "kind": "single"}
    ),
    "assessments:question_edit": Row(EDITORS, kwargs=_question),
    "assessments:question_preview": Row(EDITORS, kwargs=_question),
    "assessments:question_delete": Row(
        EDITORS, method="post", kwargs=lambda c: {"public_id": _fresh_question(c).public_id}
    ),
    "assessments:question_regrade": Row(EDITORS, method="post", kwargs=_question),
    "assessments:quiz_settings": Row(EDITORS, kwargs=_lesson),
    "assessments:quiz_questions": Row(EDITORS, kwargs=_lesson),
    "assessments:slot_add": Row(
        EDITORS, method="post", kwargs=_lesson, data={"source": "random", "random-count": "x"}
    ),
    "assessments:slot_remove": Row(
        EDITORS, method="post", kwargs=lambda c: {"slot_id": _fresh_slot(c).pk}
    ),
    "assessments:slot_move": Row(
        EDITORS, method="post", kwargs=lambda c: {"slot_id": c["slot"]}, data={"direction": "up"}
    ),
    "assessments:accommodations": Row(EDITORS, kwargs=_lesson),
    "assessments:accommodation_set": Row(
        EDITORS, method="post", kwargs=_learner, data={"l0-extra_minutes": "x"}
    ),
    "assessments:accommodation_remove": Row(EDITORS, method="post", kwargs=_learner),
}

V1 = "/api/v1"

API: dict[tuple[str, str], Row] = {
    ("GET", f"{V1}/courses/{{public_id}}/question-banks"): Row(EDITORS, kwargs=_course),
    ("POST", f"{V1}/courses/{{public_id}}/question-banks"): Row(
        EDITORS, kwargs=_course, data={"name": "Matrix API bank"}
    ),
    ("GET", f"{V1}/question-banks/{{public_id}}"): Row(EDITORS, kwargs=_bank),
    ("PATCH", f"{V1}/question-banks/{{public_id}}"): Row(
        EDITORS, kwargs=_bank, data={"description": "Edited"}
    ),
    ("DELETE", f"{V1}/question-banks/{{public_id}}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": _fresh_bank(c).public_id}
    ),
    ("GET", f"{V1}/courses/{{public_id}}/question-tags"): Row(EDITORS, kwargs=_course),
    ("GET", f"{V1}/question-banks/{{public_id}}/questions"): Row(EDITORS, kwargs=_bank),
    ("POST", f"{V1}/question-banks/{{public_id}}/questions"): Row(
        EDITORS, kwargs=_bank, data=TRUE_FALSE
    ),
    ("GET", f"{V1}/questions/{{public_id}}"): Row(EDITORS, kwargs=_question),
    ("PATCH", f"{V1}/questions/{{public_id}}"): Row(
        EDITORS, kwargs=_question, data={"title": "Edited"}
    ),
    ("DELETE", f"{V1}/questions/{{public_id}}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": _fresh_question(c).public_id}
    ),
    ("POST", f"{V1}/questions/{{public_id}}/regrade"): Row(EDITORS, kwargs=_question),
    ("GET", f"{V1}/courses/{{public_id}}/quizzes"): Row(EDITORS, kwargs=_course),
    ("GET", f"{V1}/quizzes/{{public_id}}/settings"): Row(EDITORS, kwargs=_quiz),
    ("PATCH", f"{V1}/quizzes/{{public_id}}/settings"): Row(
        EDITORS, kwargs=_quiz, data={"shuffle_questions": True}
    ),
    ("POST", f"{V1}/quizzes/{{public_id}}/slots"): Row(
        EDITORS, kwargs=_quiz, data={"tag": "matrix", "count": 1}
    ),
    ("PATCH", f"{V1}/quizzes/{{public_id}}/slots/{{slot_id}}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": c["quiz"], "slot_id": c["slot"]}, data={"count": 1}
    ),
    ("DELETE", f"{V1}/quizzes/{{public_id}}/slots/{{slot_id}}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": c["quiz"], "slot_id": _fresh_slot(c).pk}
    ),
    ("PUT", f"{V1}/quizzes/{{public_id}}/slots/order"): Row(
        EDITORS, kwargs=_quiz, data={"order": []}
    ),
    ("GET", f"{V1}/quizzes/{{public_id}}/accommodations"): Row(EDITORS, kwargs=_quiz),
    ("PUT", f"{V1}/quizzes/{{public_id}}/accommodations/{{learner_id}}"): Row(
        EDITORS,
        kwargs=lambda c: {"public_id": c["quiz"], "learner_id": c["people"]["learner"].public_id},
        data={"extra_minutes": 5},
    ),
    ("DELETE", f"{V1}/quizzes/{{public_id}}/accommodations/{{learner_id}}"): Row(
        EDITORS,
        kwargs=lambda c: {"public_id": c["quiz"], "learner_id": c["people"]["learner"].public_id},
    ),
}
