"""API: quiz authoring. Question banks, questions (with their answer keys), tags, quiz
settings, slots (the questions a quiz draws) and accommodations.

Everything needs ``course.edit`` in the quiz's course (instructors, administrators; a
token needs that scope too); regrading also needs ``grade.edit``. Courses a person may
not see answer 404; seen but not editable, 403. Broken rules answer 422 ``invalid`` and
write nothing. The answer key of each question kind (``config``) is described in
``docs/api.md`` and ``syllabus.assessments.validators``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.models import User
from syllabus.accounts.permissions import acting_user
from syllabus.assessments import services_authoring as services
from syllabus.assessments.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionBank,
    QuestionTag,
    Quiz,
    QuizSlot,
)
from syllabus.assessments.validators import KINDS
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import ERRORS, course_for, require_course_perm
from syllabus.courses.models import Course
from syllabus.courses.permissions import courses_visible_to

router = Router(tags=["quiz authoring"])

_WRITE_ERRORS: dict[int, Any] = {**ERRORS, 422: Error}
Kind = Literal[
    "single", "multiple", "true_false", "short_text", "numeric", "matching", "ordering", "essay"
]
assert set(KINDS) == set(Kind.__args__)  # type: ignore[attr-defined]


# --- Schemas ----------------------------------------------------------------------------------


class BankOut(Schema):
    public_id: str
    course: str
    name: str
    description: str
    questions: int = Field(description="Questions in the bank, archived ones excluded.")


class BankIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=500)


class BankPatchIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=500)


class QuestionOut(Schema):
    public_id: str
    bank: str
    kind: str
    title: str
    text: str = Field(description="Markdown.")
    text_html: str = Field(description="The text rendered and sanitised.")
    config: dict[str, Any] = Field(description="The answer key and rules of its kind.")
    points: Decimal
    explanation: str
    tags: list[str]
    version: int = Field(description="Goes up with every change to text, answer key or points.")
    is_archived: bool
    attempts_behind: int = Field(
        description="Submitted attempts graded with an earlier version (regrade them)."
    )


class QuestionIn(Schema):
    kind: Kind
    title: str = Field(..., max_length=200)
    text: str = Field(..., max_length=20_000, description="Markdown.")
    config: dict[str, Any]
    points: Decimal = Decimal("1")
    explanation: str = Field("", max_length=20_000)
    tags: list[str] = Field(default_factory=list, max_length=10)


class QuestionPatchIn(Schema):
    """Send only the fields to change; a new kind needs a new config."""

    kind: Kind | None = None
    title: str | None = Field(None, max_length=200)
    text: str | None = Field(None, max_length=20_000)
    config: dict[str, Any] | None = None
    points: Decimal | None = None
    explanation: str | None = Field(None, max_length=20_000)
    tags: list[str] | None = Field(None, max_length=10)


class QuestionQuery(Schema):
    tag: str = Field("", description="Only questions with this tag.")
    archived: bool = Field(False, description="Include archived questions.")


class DeletedOut(Schema):
    archived: bool = Field(description="True: learners' attempts used it, so it was archived.")


class RegradeOut(Schema):
    attempts: int


class TagOut(Schema):
    name: str
    questions: int


class QuizBrief(Schema):
    public_id: str
    lesson: str
    title: str
    is_published: bool


class SlotOut(Schema):
    id: int
    position: int
    question: str | None = Field(description="A fixed question's public_id.")
    bank: str | None = Field(description="Random: the bank drawn from.")
    tag: str | None = Field(description="Random: only questions with this tag.")
    count: int
    label: str


class QuizOut(Schema):
    public_id: str
    lesson: str
    title: str
    course: str
    instructions: str
    opens_at: datetime | None
    closes_at: datetime | None
    due_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int = Field(description="0 allows any number.")
    pass_percent: Decimal
    attempt_policy: str
    results_visibility: str
    answers_visibility: str
    shuffle_questions: bool
    shuffle_options: bool
    points: Decimal = Field(description="What the quiz is out of (random lines: mean points).")
    slots: list[SlotOut]
    problems: list[str] = Field(description="Why the quiz cannot be taken yet.")


Visibility = Literal["immediately", "after_due", "never"]


class QuizPatchIn(Schema):
    """Send only the settings to change; null clears a date or the time limit."""

    instructions: str | None = Field(None, max_length=20_000)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    due_at: datetime | None = None
    time_limit_minutes: int | None = Field(None, ge=1, le=services.MAX_TIME_LIMIT)
    attempts_allowed: int | None = Field(None, ge=0, le=services.MAX_ATTEMPTS)
    pass_percent: Decimal | None = Field(None, ge=0, le=100)
    attempt_policy: Literal["highest", "latest", "average"] | None = None
    results_visibility: Visibility | None = None
    answers_visibility: Visibility | None = None
    shuffle_questions: bool | None = None
    shuffle_options: bool | None = None


class SlotIn(Schema):
    """A fixed question, or ``count`` random questions from a bank and/or with a tag."""

    question: str | None = None
    bank: str | None = None
    tag: str | None = Field(None, description="A tag name.")
    count: int = Field(1, ge=1, le=services.MAX_RANDOM_COUNT)


class SlotPatchIn(Schema):
    count: int = Field(..., ge=1, le=services.MAX_RANDOM_COUNT)


class SlotOrderIn(Schema):
    order: list[int] = Field(..., max_length=services.MAX_SLOTS)


class AccommodationOut(Schema):
    learner: str
    email: str
    name: str
    extra_minutes: int
    extra_attempts: int
    note: str


class AccommodationIn(Schema):
    extra_minutes: int = Field(0, ge=0, le=services.MAX_EXTRA_MINUTES)
    extra_attempts: int = Field(0, ge=0, le=services.MAX_ATTEMPTS)
    note: str = Field("", max_length=300)


# --- Lookups ----------------------------------------------------------------------------------


def _editable(request: HttpRequest, course: Course) -> Course:
    require_course_perm(request, course, "course.edit")
    return course


def _course(request: HttpRequest, public_id: str) -> Course:
    return _editable(request, course_for(request, public_id))


def _visible_course(request: HttpRequest, course_id: int) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), pk=course_id).first()
    if course is None:
        raise Http404
    return _editable(request, course)


def _bank(request: HttpRequest, public_id: str) -> QuestionBank:
    bank = QuestionBank.objects.filter(public_id=public_id).first()
    if bank is None:
        raise Http404
    bank.course = _visible_course(request, bank.course_id)
    return bank


def _question(request: HttpRequest, public_id: str) -> Question:
    question = Question.objects.select_related("bank").filter(public_id=public_id).first()
    if question is None:
        raise Http404
    question.course = _visible_course(request, question.course_id)
    return question


def _quiz(request: HttpRequest, public_id: str) -> Quiz:
    quiz = Quiz.objects.select_related("lesson").filter(public_id=public_id).first()
    if quiz is None:
        raise Http404
    quiz.course = _visible_course(request, quiz.course_id)
    return quiz


def _slot(quiz: Quiz, slot_id: int) -> QuizSlot:
    slot = QuizSlot.objects.filter(quiz=quiz, pk=slot_id).first()
    if slot is None:
        raise Http404
    slot.quiz = quiz
    return slot


def _learner(quiz: Quiz, public_id: str) -> User:
    user = User.objects.filter(
        public_id=public_id, pk__in=services.quiz_learners(quiz).values("user_id")
    ).first()
    if user is None:
        raise Http404
    return user


# --- Output -----------------------------------------------------------------------------------


def _attempts_behind(question: Question) -> int:
    from syllabus.assessments.services_attempts import attempts_behind

    return attempts_behind(question)


def _bank_out(bank: QuestionBank, count: int | None = None) -> dict[str, Any]:
    if count is None:
        count = bank.questions.filter(is_archived=False).count()
    return {
        "public_id": bank.public_id,
        "course": bank.course.public_id,
        "name": bank.name,
        "description": bank.description,
        "questions": count,
    }


def _question_out(question: Question, behind: int | None = None) -> dict[str, Any]:
    return {
        "public_id": question.public_id,
        "bank": question.bank.public_id,
        "kind": question.kind,
        "title": question.title,
        "text": question.text,
        "text_html": question.text_html,
        "config": question.config,
        "points": question.points,
        "explanation": question.explanation,
        "tags": sorted(tag.name for tag in question.tags.all()),
        "version": question.version,
        "is_archived": question.is_archived,
        "attempts_behind": _attempts_behind(question) if behind is None else behind,
    }


def _quiz_out(quiz: Quiz) -> dict[str, Any]:
    slots = list(quiz.slots.select_related("question", "bank", "tag").order_by("position", "pk"))
    return {
        **{field: getattr(quiz, field) for field in services.QUIZ_FIELDS},
        "public_id": quiz.public_id,
        "lesson": quiz.lesson.public_id,
        "title": quiz.lesson.title,
        "course": quiz.course.public_id,
        "points": services.quiz_nominal_points(quiz),
        "slots": [
            {
                "id": slot.pk,
                "position": slot.position,
                "question": slot.question.public_id if slot.question else None,
                "bank": slot.bank.public_id if slot.bank else None,
                "tag": slot.tag.name if slot.tag else None,
                "count": slot.count,
                "label": services.slot_label(slot),
            }
            for slot in slots
        ],
        "problems": services.quiz_problems(quiz),
    }


def _accommodation_out(accommodation: Accommodation) -> dict[str, Any]:
    user = accommodation.user
    return {
        "learner": user.public_id,
        "email": user.email,
        "name": user.full_name,
        "extra_minutes": accommodation.extra_minutes,
        "extra_attempts": accommodation.extra_attempts,
        "note": accommodation.note,
    }


# --- Banks and tags ---------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/question-banks",
    response={200: list[BankOut], **ERRORS},
    summary="A course's question banks",
)
def list_banks(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    banks = course.question_banks.annotate(
        n=Count("questions", filter=Q(questions__is_archived=False))
    ).order_by("name", "pk")
    for bank in banks:
        bank.course = course
    return [_bank_out(bank, bank.n) for bank in banks]


@router.post(
    "/courses/{public_id}/question-banks",
    response={201: BankOut, **_WRITE_ERRORS},
    summary="Create a question bank in a course",
)
def create_bank(request: HttpRequest, public_id: str, payload: BankIn) -> Any:
    course = _course(request, public_id)
    bank = services.bank_create(
        actor=acting_user(request),
        course=course,
        name=payload.name,
        description=payload.description,
    )
    return Status(201, _bank_out(bank, 0))


@router.get(
    "/question-banks/{public_id}",
    response={200: BankOut, **ERRORS},
    summary="A question bank",
)
def get_bank(request: HttpRequest, public_id: str) -> Any:
    return _bank_out(_bank(request, public_id))


@router.patch(
    "/question-banks/{public_id}",
    response={200: BankOut, **_WRITE_ERRORS},
    summary="Rename a question bank or change its description",
)
def update_bank(request: HttpRequest, public_id: str, payload: BankPatchIn) -> Any:
    bank = _bank(request, public_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    bank = services.bank_update(actor=acting_user(request), bank=bank, changes=changes)
    return _bank_out(bank)


@router.delete(
    "/question-banks/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Delete a question bank and its questions (refused while quizzes use it)",
)
def delete_bank(request: HttpRequest, public_id: str) -> Any:
    services.bank_delete(actor=acting_user(request), bank=_bank(request, public_id))
    return Status(204, None)


@router.get(
    "/courses/{public_id}/question-tags",
    response={200: list[TagOut], **ERRORS},
    summary="The tags of a course's questions",
)
def list_tags(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    tags = QuestionTag.objects.filter(course=course).annotate(
        n=Count("questions", filter=Q(questions__is_archived=False))
    )
    return [{"name": tag.name, "questions": tag.n} for tag in tags.order_by("name")]


# --- Questions --------------------------------------------------------------------------------


@router.get(
    "/question-banks/{public_id}/questions",
    response={200: list[QuestionOut], **ERRORS},
    summary="The questions of a bank (optionally those with a tag)",
)
def list_questions(request: HttpRequest, public_id: str, query: Query[QuestionQuery]) -> Any:
    bank = _bank(request, public_id)
    questions = bank.questions.prefetch_related("tags").order_by("pk")
    if not query.archived:
        questions = questions.filter(is_archived=False)
    if query.tag:
        questions = questions.filter(tags__name=query.tag)
    behind = _behind_counts(list(questions))
    return [_question_out(q, behind.get(q.pk, 0)) for q in questions.select_related("bank")]


def _behind_counts(questions: list[Question]) -> dict[int, int]:
    """Per question, submitted attempts graded with an earlier version (one query)."""
    versions = {q.pk: q.version for q in questions}
    counts: dict[int, int] = {}
    rows = AttemptQuestion.objects.filter(
        question_id__in=versions, attempt__status=Attempt.Status.SUBMITTED
    ).values_list("question_id", "question_version", "attempt_id")
    seen: set[tuple[int, int]] = set()
    for question_id, version, attempt_id in rows:
        if version < versions[question_id] and (question_id, attempt_id) not in seen:
            seen.add((question_id, attempt_id))
            counts[question_id] = counts.get(question_id, 0) + 1
    return counts


@router.post(
    "/question-banks/{public_id}/questions",
    response={201: QuestionOut, **_WRITE_ERRORS},
    summary="Add a question to a bank",
)
def create_question(request: HttpRequest, public_id: str, payload: QuestionIn) -> Any:
    bank = _bank(request, public_id)
    question = services.question_create(
        actor=acting_user(request),
        bank=bank,
        kind=payload.kind,
        title=payload.title,
        text=payload.text,
        config=payload.config,
        points=payload.points,
        explanation=payload.explanation,
        tags=payload.tags,
    )
    return Status(201, _question_out(question, 0))


@router.get(
    "/questions/{public_id}",
    response={200: QuestionOut, **ERRORS},
    summary="A question with its answer key",
)
def get_question(request: HttpRequest, public_id: str) -> Any:
    return _question_out(_question(request, public_id))


@router.patch(
    "/questions/{public_id}",
    response={200: QuestionOut, **_WRITE_ERRORS},
    summary="Change a question (text, answer key or points make a new version)",
)
def update_question(request: HttpRequest, public_id: str, payload: QuestionPatchIn) -> Any:
    question = _question(request, public_id)
    changes = payload.dict(exclude_unset=True)
    for key in ("kind", "title", "text", "config", "points"):
        if key in changes and changes[key] is None:
            changes.pop(key)
    if "explanation" in changes and changes["explanation"] is None:
        changes["explanation"] = ""
    if "tags" in changes and changes["tags"] is None:
        changes["tags"] = []
    question = services.question_update(
        actor=acting_user(request), question=question, changes=changes
    )
    return _question_out(question)


@router.delete(
    "/questions/{public_id}",
    response={200: DeletedOut, **_WRITE_ERRORS},
    summary="Delete a question (archived instead when learners' attempts used it)",
)
def delete_question(request: HttpRequest, public_id: str) -> Any:
    question = _question(request, public_id)
    return {"archived": services.question_delete(actor=acting_user(request), question=question)}


@router.post(
    "/questions/{public_id}/regrade",
    response={200: RegradeOut, **_WRITE_ERRORS},
    summary="Regrade the submitted attempts that used an earlier version of a question",
)
def regrade_question(request: HttpRequest, public_id: str) -> Any:
    from syllabus.assessments.services_attempts import regrade_question as regrade

    question = _question(request, public_id)
    require_course_perm(request, question.course, "grade.edit")
    return {"attempts": regrade(actor=acting_user(request), question=question)}


# --- Quizzes ----------------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/quizzes",
    response={200: list[QuizBrief], **ERRORS},
    summary="The quizzes of a course (one per quiz lesson), drafts included",
)
def list_quizzes(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    quizzes = Quiz.objects.filter(course=course).select_related("lesson")
    return [
        {
            "public_id": quiz.public_id,
            "lesson": quiz.lesson.public_id,
            "title": quiz.lesson.title,
            "is_published": quiz.lesson.is_published,
        }
        for quiz in quizzes.order_by("lesson__module__position", "lesson__position", "pk")
    ]


@router.get(
    "/quizzes/{public_id}/settings",
    response={200: QuizOut, **ERRORS},
    summary="A quiz's settings and the questions it draws",
)
def get_quiz(request: HttpRequest, public_id: str) -> Any:
    return _quiz_out(_quiz(request, public_id))


@router.patch(
    "/quizzes/{public_id}/settings",
    response={200: QuizOut, **_WRITE_ERRORS},
    summary="Change a quiz's availability, time limit, attempts, passing score and visibility",
)
def update_quiz(request: HttpRequest, public_id: str, payload: QuizPatchIn) -> Any:
    quiz = _quiz(request, public_id)
    changes = payload.dict(exclude_unset=True)
    for key in (
        "attempts_allowed",
        "pass_percent",
        "attempt_policy",
        "results_visibility",
        "answers_visibility",
        "shuffle_questions",
        "shuffle_options",
    ):
        if key in changes and changes[key] is None:
            changes.pop(key)
    if "instructions" in changes and changes["instructions"] is None:
        changes["instructions"] = ""
    quiz = services.quiz_update(actor=acting_user(request), quiz=quiz, changes=changes)
    return _quiz_out(quiz)


@router.post(
    "/quizzes/{public_id}/slots",
    response={201: QuizOut, **_WRITE_ERRORS},
    summary="Add a fixed question or a random draw from a bank or tag to a quiz",
)
def add_slot(request: HttpRequest, public_id: str, payload: SlotIn) -> Any:
    quiz = _quiz(request, public_id)
    question = bank = tag = None
    if payload.question:
        question = Question.objects.filter(course=quiz.course, public_id=payload.question).first()
        if question is None:
            raise ValidationError({"question": _("Choose a question of this course.")})
    if payload.bank:
        bank = QuestionBank.objects.filter(course=quiz.course, public_id=payload.bank).first()
        if bank is None:
            raise ValidationError({"bank": _("Choose a bank of this course.")})
    if payload.tag:
        tag = QuestionTag.objects.filter(course=quiz.course, name__iexact=payload.tag).first()
        if tag is None:
            raise ValidationError({"tag": _("No question of this course has that tag.")})
    services.slot_add(
        actor=acting_user(request),
        quiz=quiz,
        question=question,
        bank=bank,
        tag=tag,
        count=payload.count,
    )
    return Status(201, _quiz_out(quiz))


# Before the /slots/{slot_id} routes: "order" would match {slot_id} (resolved in order).
@router.put(
    "/quizzes/{public_id}/slots/order",
    response={200: QuizOut, **_WRITE_ERRORS},
    summary="Put a quiz's lines in a new order (every line id once)",
)
def order_slots(request: HttpRequest, public_id: str, payload: SlotOrderIn) -> Any:
    quiz = _quiz(request, public_id)
    services.slot_reorder(actor=acting_user(request), quiz=quiz, order=payload.order)
    return _quiz_out(quiz)


@router.patch(
    "/quizzes/{public_id}/slots/{slot_id}",
    response={200: QuizOut, **_WRITE_ERRORS},
    summary="Change how many questions a random line of a quiz draws",
)
def update_slot(request: HttpRequest, public_id: str, slot_id: int, payload: SlotPatchIn) -> Any:
    quiz = _quiz(request, public_id)
    services.slot_update(actor=acting_user(request), slot=_slot(quiz, slot_id), count=payload.count)
    return _quiz_out(quiz)


@router.delete(
    "/quizzes/{public_id}/slots/{slot_id}",
    response={200: QuizOut, **_WRITE_ERRORS},
    summary="Remove a line from a quiz",
)
def remove_slot(request: HttpRequest, public_id: str, slot_id: int) -> Any:
    quiz = _quiz(request, public_id)
    services.slot_remove(actor=acting_user(request), slot=_slot(quiz, slot_id))
    return _quiz_out(quiz)


# --- Accommodations ---------------------------------------------------------------------------


@router.get(
    "/quizzes/{public_id}/accommodations",
    response={200: list[AccommodationOut], **ERRORS},
    summary="Learners' extra time and attempts on a quiz",
)
def list_accommodations(request: HttpRequest, public_id: str) -> Any:
    quiz = _quiz(request, public_id)
    rows = Accommodation.objects.filter(quiz=quiz).select_related("user").order_by("user__email")
    return [_accommodation_out(row) for row in rows]


@router.put(
    "/quizzes/{public_id}/accommodations/{learner_id}",
    response={200: AccommodationOut, **_WRITE_ERRORS},
    summary="Give a learner extra time and/or attempts on a quiz",
)
def set_accommodation(
    request: HttpRequest, public_id: str, learner_id: str, payload: AccommodationIn
) -> Any:
    quiz = _quiz(request, public_id)
    accommodation = services.accommodation_set(
        actor=acting_user(request),
        quiz=quiz,
        user=_learner(quiz, learner_id),
        extra_minutes=payload.extra_minutes,
        extra_attempts=payload.extra_attempts,
        note=payload.note,
    )
    return _accommodation_out(accommodation)


@router.delete(
    "/quizzes/{public_id}/accommodations/{learner_id}",
    response={204: None, **ERRORS},
    summary="Remove a learner's accommodation on a quiz",
)
def remove_accommodation(request: HttpRequest, public_id: str, learner_id: str) -> Any:
    quiz = _quiz(request, public_id)
    if not services.accommodation_remove(
        actor=acting_user(request), quiz=quiz, user=_learner(quiz, learner_id)
    ):
        raise Http404
    return Status(204, None)
