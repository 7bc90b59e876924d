"""Every write of quiz authoring, with its audit event: question banks, questions and
their tags, a quiz's settings, its slots (which questions it draws) and learners'
accommodations.

Each service runs in one transaction: permission check (``course.edit`` in the course;
``actor`` None is the operator: CLI, demo data), validation (ValidationError with a
message per field, nothing written), the change, its audit event, and the quiz's
gradebook item kept in step (``syllabus.grades.services.source_item_sync``).

A change that would leave a *published* quiz unable to draw its questions (deleting or
archiving the questions a random slot needs, removing its last slot) is refused, so
learners never meet a broken quiz.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.assessments.models import (
    Accommodation,
    AttemptQuestion,
    Question,
    QuestionBank,
    QuestionTag,
    Quiz,
    QuizSlot,
)
from syllabus.assessments.validators import clean_config, clean_points
from syllabus.audit.services import record
from syllabus.core.markdown import render_markdown
from syllabus.courses.models import Course, CourseMembership, Lesson
from syllabus.courses.permissions import has_course_perm
from syllabus.grades.models import LearnerVisibility
from syllabus.grades.services import source_item_sync

MAX_TAGS = 10
MAX_SLOTS = 100
MAX_RANDOM_COUNT = 100
MAX_TIME_LIMIT = 24 * 60  # minutes
MAX_ATTEMPTS = 100
MAX_EXTRA_MINUTES = 24 * 60
MAX_TEXT = 20_000
# Strictness of "when learners see it": answers are never shown earlier than results.
_VISIBILITY_ORDER = {"immediately": 0, "after_due": 1, "never": 2}

QUIZ_FIELDS = frozenset(
    {
        "instructions",
        "opens_at",
        "closes_at",
        "due_at",
        "time_limit_minutes",
        "attempts_allowed",
        "pass_percent",
        "attempt_policy",
        "results_visibility",
        "answers_visibility",
        "shuffle_questions",
        "shuffle_options",
    }
)
QUESTION_FIELDS = frozenset({"title", "text", "config", "points", "explanation", "tags", "kind"})
# A change to these makes a new version: attempts that saw the old one may be regraded.
VERSIONED_FIELDS = frozenset({"text", "config", "points", "kind"})


def require_course_edit(actor: Any, course: Course) -> None:
    if actor is not None and not has_course_perm(actor, course, "course.edit"):
        raise PermissionDenied(_("Editing quizzes needs the course.edit permission."))


# --- Question banks ---------------------------------------------------------------------------


@transaction.atomic
def bank_create(*, actor: Any, course: Course, name: str, description: str = "") -> QuestionBank:
    require_course_edit(actor, course)
    name, description = _bank_fields(course, name, description)
    try:
        with transaction.atomic():
            bank = QuestionBank.objects.create(course=course, name=name, description=description)
    except IntegrityError:  # the same name created at the same moment
        raise ValidationError({"name": _("This course already has a bank of that name.")}) from None
    record(
        actor=actor,
        action="question_bank.created",
        target=bank,
        details={"course": course.public_id, "name": name},
    )
    return bank


@transaction.atomic
def bank_update(*, actor: Any, bank: QuestionBank, changes: dict[str, Any]) -> QuestionBank:
    require_course_edit(actor, bank.course)
    unknown = set(changes) - {"name", "description"}
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(items)s.")
            % {"items": ", ".join(sorted(unknown))}
        )
    bank = QuestionBank.objects.select_for_update().get(pk=bank.pk)
    name, description = _bank_fields(
        bank.course,
        changes.get("name", bank.name),
        changes.get("description", bank.description),
        exclude=bank.pk,
    )
    changed = [
        f for f, v in (("name", name), ("description", description)) if getattr(bank, f) != v
    ]
    if changed:
        bank.name, bank.description = name, description
        try:
            with transaction.atomic():
                bank.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise ValidationError(
                {"name": _("This course already has a bank of that name.")}
            ) from None
        record(
            actor=actor,
            action="question_bank.updated",
            target=bank,
            details={"course": bank.course.public_id, "fields": changed},
        )
    return bank


def _bank_fields(
    course: Course, name: Any, description: Any, exclude: int | None = None
) -> tuple[str, str]:
    errors: dict[str, str] = {}
    name = name.strip() if isinstance(name, str) else ""
    description = description.strip() if isinstance(description, str) else ""
    if not name:
        errors["name"] = _("Give the bank a name.")
    elif len(name) > 200:
        errors["name"] = _("Keep the name under 200 characters.")
    elif (
        QuestionBank.objects.filter(course=course, name__iexact=name)
        .exclude(pk=exclude or 0)
        .exists()
    ):
        errors["name"] = _("This course already has a bank of that name.")
    if len(description) > 500:
        errors["description"] = _("Keep the description under 500 characters.")
    if errors:
        raise ValidationError(errors)
    return name, description


@transaction.atomic
def bank_delete(*, actor: Any, bank: QuestionBank) -> None:
    """Delete a bank and its questions; refused while a quiz draws from it or uses one of
    its questions, or when learners' attempts used its questions (those are kept)."""
    course = bank.course
    require_course_edit(actor, course)
    bank = QuestionBank.objects.select_for_update().get(pk=bank.pk)
    users = _quiz_titles(QuizSlot.objects.filter(Q(bank=bank) | Q(question__bank=bank)))
    if users:
        raise ValidationError(
            _("Quizzes use this bank (%(quizzes)s): remove it from their questions first.")
            % {"quizzes": ", ".join(users)}
        )
    if AttemptQuestion.objects.filter(question__bank=bank).exists():
        raise ValidationError(
            _(
                "Learners' attempts used questions of this bank, so it is kept for their "
                "records. Delete the questions you no longer need instead: they are archived."
            )
        )
    count = bank.questions.count()
    details = {"course": course.public_id, "name": bank.name, "questions": count}
    record(actor=actor, action="question_bank.deleted", target=bank, details=details)
    bank.delete()
    _prune_tags(course)


# --- Questions --------------------------------------------------------------------------------


@transaction.atomic
def question_create(
    *,
    actor: Any,
    bank: QuestionBank,
    kind: str,
    title: str,
    text: str,
    config: Any,
    points: Any = Decimal("1"),
    explanation: str = "",
    tags: Iterable[str] = (),
) -> Question:
    course = bank.course
    require_course_edit(actor, course)
    question = Question(bank=bank, course=course, kind=kind)
    fields = _question_fields(
        question,
        {
            "title": title,
            "text": text,
            "config": config,
            "points": points,
            "explanation": explanation,
        },
    )
    for field, value in fields.items():
        setattr(question, field, value)
    question.text_html = render_markdown(question.text)
    tag_names = _clean_tags(tags)
    question.save()
    question.tags.set(_tags_for(course, tag_names))
    record(
        actor=actor,
        action="question.created",
        target=question,
        details={"course": course.public_id, "bank": bank.public_id, "kind": kind},
    )
    return question


@transaction.atomic
def question_update(*, actor: Any, question: Question, changes: dict[str, Any]) -> Question:
    """Change a question (PATCH semantics: any of title, text, config, points,
    explanation, tags, kind). A change to the text, answer key, points or kind makes a new
    version; attempts made with an earlier version keep theirs until regraded."""
    course = question.course
    require_course_edit(actor, course)
    unknown = set(changes) - QUESTION_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(items)s.")
            % {"items": ", ".join(sorted(unknown))}
        )
    question = Question.objects.select_for_update().select_related("bank").get(pk=question.pk)
    if question.is_archived:
        raise ValidationError(_("This question is archived: it can no longer be changed."))
    old_kind = question.kind
    kind = changes.get("kind", old_kind)
    if kind != old_kind:
        if kind not in Question.Kind.values:
            raise ValidationError(
                {
                    "kind": _("Choose one of: %(items)s.")
                    % {"items": ", ".join(Question.Kind.values)}
                }
            )
        if AttemptQuestion.objects.filter(question=question).exists():
            raise ValidationError(
                {"kind": _("Learners answered this question: its kind cannot change now.")}
            )
        if "config" not in changes:
            raise ValidationError({"config": _("Give the answer settings for the new kind.")})
        question.kind = kind
    values = {k: changes.get(k, getattr(question, k)) for k in QUESTION_FIELDS - {"tags", "kind"}}
    fields = _question_fields(question, values)
    changed = [f for f, v in fields.items() if getattr(question, f) != v]
    for field in changed:
        setattr(question, field, fields[field])
    if kind != old_kind:
        changed.append("kind")
    if "text" in changed:
        question.text_html = render_markdown(question.text)
        changed.append("text_html")
    tags_changed = False
    if "tags" in changes:
        wanted = _clean_tags(changes["tags"] or [])
        current = sorted(question.tags.values_list("name", flat=True))
        if sorted(wanted) != current:
            question.tags.set(_tags_for(course, wanted))
            tags_changed = True
    new_version = bool(VERSIONED_FIELDS & set(changed))
    if new_version:
        question.version += 1
        changed.append("version")
    if changed:
        question.save(update_fields=[*changed, "updated_at"])
    if changed or tags_changed:
        if tags_changed:
            _prune_tags(course)
        _guard_published_quizzes(course)
        record(
            actor=actor,
            action="question.updated",
            target=question,
            details={
                "course": course.public_id,
                "fields": sorted(
                    ({*changed} - {"text_html", "version"}) | ({"tags"} if tags_changed else set())
                ),
                "version": question.version,
            },
        )
        if "points" in changed:
            _sync_quizzes_using(course)
    return question


def _question_fields(question: Question, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = values.get("title")
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        errors.setdefault("title", []).append(_("Give the question a short title for lists."))
    elif len(title) > 200:
        errors.setdefault("title", []).append(_("Keep the title under 200 characters."))
    text = values.get("text")
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        errors.setdefault("text", []).append(_("Write the question."))
    elif len(text) > MAX_TEXT:
        errors.setdefault("text", []).append(
            _("Keep the question under %(max_text)s characters.") % {"max_text": MAX_TEXT}
        )
    explanation = values.get("explanation") or ""
    if not isinstance(explanation, str):
        explanation = ""
    explanation = explanation.strip()
    if len(explanation) > MAX_TEXT:
        errors.setdefault("explanation", []).append(
            _("Keep the explanation under %(max)s characters.") % {"max": MAX_TEXT}
        )
    config: dict[str, Any] = {}
    points = Decimal("0")
    try:
        config = clean_config(question.kind, values.get("config"))
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    try:
        points = clean_points(values.get("points"))
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "text": text,
        "explanation": explanation,
        "config": config,
        "points": points,
    }


@transaction.atomic
def question_delete(*, actor: Any, question: Question) -> bool:
    """Delete a question; one that learners' attempts used is archived instead (random
    draws skip it, attempts keep it). Returns True when it was archived."""
    course = question.course
    require_course_edit(actor, course)
    question = Question.objects.select_for_update().get(pk=question.pk)
    users = _quiz_titles(QuizSlot.objects.filter(question=question))
    if users:
        raise ValidationError(
            _("Quizzes ask this question (%(quizzes)s): remove it from them first.")
            % {"quizzes": ", ".join(users)}
        )
    archived = AttemptQuestion.objects.filter(question=question).exists()
    details = {"course": course.public_id, "title": question.title, "archived": archived}
    record(actor=actor, action="question.deleted", target=question, details=details)
    if archived:
        if not question.is_archived:
            question.is_archived = True
            question.save(update_fields=["is_archived", "updated_at"])
    else:
        question.delete()
    _guard_published_quizzes(course)
    _prune_tags(course)
    _sync_quizzes_using(course)
    return archived


def _clean_tags(names: Iterable[Any]) -> list[str]:
    if isinstance(names, str):
        names = names.split(",")
    cleaned: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str):
            raise ValidationError({"tags": _("Tags are names.")})
        name = " ".join(name.split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": _("Keep each tag under 50 characters.")})
        cleaned.setdefault(name.casefold(), name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(
            {"tags": _("Give at most %(max_tags)s tags.") % {"max_tags": MAX_TAGS}}
        )
    return sorted(cleaned.values())


def _tags_for(course: Course, names: list[str]) -> list[QuestionTag]:
    tags = []
    for name in names:
        tag = QuestionTag.objects.filter(course=course, name__iexact=name).first()
        if tag is None:
            # Two authors adding the same new tag at once: the second finds the first's.
            tag, _created = QuestionTag.objects.get_or_create(course=course, name=name)
        tags.append(tag)
    return tags


def _prune_tags(course: Course) -> None:
    """Forget tags no question carries and no quiz draws by."""
    QuestionTag.objects.filter(course=course, questions__isnull=True).exclude(
        pk__in=QuizSlot.objects.filter(tag__isnull=False).values("tag_id")
    ).delete()


# --- Quizzes: creation, settings --------------------------------------------------------------


def quiz_create_for_lesson(*, lesson: Lesson) -> Quiz:
    """The quiz of a new quiz lesson, with the defaults (one attempt, pass at 50%, results
    at once, answers after the due date); called by the lesson-kind handler."""
    quiz, _created = Quiz.objects.get_or_create(lesson=lesson, defaults={"course": lesson.course})
    return quiz


@transaction.atomic
def quiz_update(*, actor: Any, quiz: Quiz, changes: dict[str, Any]) -> Quiz:
    """Change a quiz's settings (PATCH semantics: any of QUIZ_FIELDS)."""
    course = quiz.course
    require_course_edit(actor, course)
    unknown = set(changes) - QUIZ_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(items)s.")
            % {"items": ", ".join(sorted(unknown))}
        )
    quiz = Quiz.objects.select_for_update().select_related("lesson").get(pk=quiz.pk)
    values = {field: changes.get(field, getattr(quiz, field)) for field in QUIZ_FIELDS}
    cleaned = _quiz_fields(quiz, values)
    changed = [f for f in sorted(QUIZ_FIELDS) if getattr(quiz, f) != cleaned[f]]
    if changed:
        for field in changed:
            setattr(quiz, field, cleaned[field])
        quiz.save(update_fields=[*changed, "updated_at"])
        record(
            actor=actor,
            action="quiz.updated",
            target=quiz,
            details={
                "course": course.public_id,
                "lesson": quiz.lesson.public_id,
                "fields": changed,
            },
        )
        quiz_sync_grade_item(quiz)
    return quiz


def _quiz_fields(quiz: Quiz, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out = dict(values)
    instructions = values["instructions"] or ""
    if not isinstance(instructions, str) or len(instructions) > MAX_TEXT:
        errors["instructions"] = _("Keep the instructions under %(max_text)s characters.") % {
            "max_text": MAX_TEXT
        }
    else:
        out["instructions"] = instructions.strip()
    for field in ("opens_at", "closes_at", "due_at"):
        if values[field] is not None and not isinstance(values[field], datetime):
            errors[field] = _("Give a date and time.")
    opens, closes, due = values["opens_at"], values["closes_at"], values["due_at"]
    if not errors:
        if opens and closes and closes <= opens:
            errors["closes_at"] = _("The quiz must close after it opens.")
        if opens and due and due < opens:
            errors["due_at"] = _("The quiz cannot be due before it opens.")
    limit = values["time_limit_minutes"]
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_TIME_LIMIT
    ):
        errors["time_limit_minutes"] = _(
            "Give a time limit from 1 to %(max)s minutes, or none."
        ) % {"max": MAX_TIME_LIMIT}
    attempts = values["attempts_allowed"]
    if (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not 0 <= attempts <= MAX_ATTEMPTS
    ):
        errors["attempts_allowed"] = _("Allow from 1 to %(max)s attempts, or 0 for any number.") % {
            "max": MAX_ATTEMPTS
        }
    try:
        percent = Decimal(str(values["pass_percent"]))
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise ValueError
        if percent != percent.quantize(Decimal("0.01")):
            raise ValueError
        out["pass_percent"] = percent.quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        errors["pass_percent"] = _("Give a passing score from 0 to 100 percent.")  # nosec B105  # a message
    for field, choices in (
        ("attempt_policy", Quiz.AttemptPolicy.values),
        ("results_visibility", Quiz.Visibility.values),
        ("answers_visibility", Quiz.Visibility.values),
    ):
        if values[field] not in choices:
            errors[field] = _("Choose one of: %(items)s.") % {"items": ", ".join(choices)}
    for field in ("shuffle_questions", "shuffle_options"):
        if not isinstance(values[field], bool):
            errors[field] = _("Say yes or no.")
    if not errors:
        results, answers = values["results_visibility"], values["answers_visibility"]
        if _VISIBILITY_ORDER[answers] < _VISIBILITY_ORDER[results]:
            errors["answers_visibility"] = _(
                "Learners cannot see the correct answers before they see their results."
            )
    if errors:
        raise ValidationError(errors)
    return out


def quiz_due(quiz: Quiz) -> datetime | None:
    return quiz.due_at or quiz.lesson.due_at


def quiz_nominal_points(quiz: Quiz) -> Decimal:
    """The points a quiz is out of: fixed questions' points, plus for a random slot its
    count times the mean points of the questions it draws from."""
    total = Decimal("0")
    for slot in quiz.slots.select_related("question"):
        if slot.question is not None:
            total += slot.question.points
            continue
        points = list(slot_pool(slot).values_list("points", flat=True))
        if points:
            total += slot.count * sum(points, Decimal("0")) / len(points)
    return total.quantize(Decimal("0.01"))


def quiz_sync_grade_item(quiz: Quiz) -> None:
    """Keep the quiz's gradebook item in step (title, maximum, due date, when learners see
    it). A quiz without questions has no maximum yet and so no item yet."""
    points = quiz_nominal_points(quiz)
    if points <= 0:
        return
    due = quiz_due(quiz)
    visibility, visible_from = LearnerVisibility.ALWAYS, None
    if quiz.results_visibility == Quiz.Visibility.NEVER:
        visibility = LearnerVisibility.NEVER
    elif quiz.results_visibility == Quiz.Visibility.AFTER_DUE and due is not None:
        visibility, visible_from = LearnerVisibility.AFTER, due
    source_item_sync(
        course=quiz.course,
        kind="quiz",
        source_id=quiz.pk,
        title=quiz.lesson.title,
        max_points=points,
        due_at=due,
        learner_visibility=visibility,
        learner_visible_from=visible_from,
    )


def _sync_quizzes_using(course: Course) -> None:
    for quiz in (
        Quiz.objects.filter(course=course, slots__isnull=False).select_related("lesson").distinct()
    ):
        quiz_sync_grade_item(quiz)


# --- Slots ------------------------------------------------------------------------------------


def slot_pool(slot: QuizSlot) -> QuerySet[Question]:
    """The questions a random slot draws from (not archived; from its bank, with its tag)."""
    pool = Question.objects.filter(course_id=slot.quiz.course_id, is_archived=False)
    if slot.bank_id:
        pool = pool.filter(bank_id=slot.bank_id)
    if slot.tag_id:
        pool = pool.filter(tags=slot.tag_id)
    return pool


def slot_label(slot: QuizSlot) -> str:
    if slot.question_id:
        return (
            _("“%(title)s”") % {"title": slot.question.title} if slot.question else _("a question")
        )
    source = []
    if slot.bank_id and slot.bank:
        source.append(_("bank “%(name)s”") % {"name": slot.bank.name})
    if slot.tag_id and slot.tag:
        source.append(_("tag “%(name)s”") % {"name": slot.tag.name})
    n = slot.count
    # "bank “A” with tag “b”": the source names joined, each translated whole.
    return ngettext(
        "%(n)s random question from %(source)s", "%(n)s random questions from %(source)s", n
    ) % {"n": n, "source": _(" with ").join(source)}


@transaction.atomic
def slot_add(
    *,
    actor: Any,
    quiz: Quiz,
    question: Question | None = None,
    bank: QuestionBank | None = None,
    tag: QuestionTag | None = None,
    count: int = 1,
) -> QuizSlot:
    """Add a fixed question, or ``count`` random questions from a bank and/or tag, at the
    end of the quiz."""
    course = quiz.course
    require_course_edit(actor, course)
    quiz = Quiz.objects.select_for_update().select_related("lesson").get(pk=quiz.pk)
    if quiz.slots.count() >= MAX_SLOTS:
        raise ValidationError(
            _("A quiz has at most %(max_slots)s lines.") % {"max_slots": MAX_SLOTS}
        )
    slot = QuizSlot(quiz=quiz, position=quiz.slots.count())
    if question is not None:
        if bank is not None or tag is not None:
            raise ValidationError(_("Choose a question, or a bank or tag to draw from: not both."))
        if question.course_id != course.pk:
            raise ValidationError({"question": _("Choose a question of this course.")})
        if question.is_archived:
            raise ValidationError({"question": _("This question is archived.")})
        if quiz.slots.filter(question=question).exists():
            raise ValidationError({"question": _("The quiz already asks this question.")})
        slot.question = question
        slot.count = 1
    else:
        if bank is None and tag is None:
            raise ValidationError(_("Choose a question, or a bank or tag to draw from."))
        if bank is not None and bank.course_id != course.pk:
            raise ValidationError({"bank": _("Choose a bank of this course.")})
        if tag is not None and tag.course_id != course.pk:
            raise ValidationError({"tag": _("Choose a tag of this course.")})
        _check_count(count)
        slot.bank, slot.tag, slot.count = bank, tag, count
    slot.save()
    _after_slots(actor, quiz, "added", slot)
    return slot


def _check_count(count: Any) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_RANDOM_COUNT:
        raise ValidationError(
            {
                "count": _("Draw from 1 to %(max_random_count)s questions.")
                % {"max_random_count": MAX_RANDOM_COUNT}
            }
        )


@transaction.atomic
def slot_update(*, actor: Any, slot: QuizSlot, count: int) -> QuizSlot:
    """Change how many questions a random slot draws."""
    quiz = slot.quiz
    require_course_edit(actor, quiz.course)
    quiz = Quiz.objects.select_for_update().select_related("lesson").get(pk=quiz.pk)
    slot = QuizSlot.objects.get(pk=slot.pk)
    if slot.question_id:
        raise ValidationError({"count": _("A fixed question is asked once.")})
    _check_count(count)
    if slot.count != count:
        slot.count = count
        slot.save(update_fields=["count"])
        _after_slots(actor, quiz, "changed", slot)
    return slot


@transaction.atomic
def slot_remove(*, actor: Any, slot: QuizSlot) -> None:
    quiz = slot.quiz
    require_course_edit(actor, quiz.course)
    quiz = Quiz.objects.select_for_update().select_related("lesson").get(pk=quiz.pk)
    slot = QuizSlot.objects.select_related("question", "bank", "tag").get(pk=slot.pk)
    with translation.override("en"):  # the audit trail keeps one language
        label = slot_label(slot)
    slot.delete()
    _renumber(quiz)
    _after_slots(actor, quiz, "removed", None, label=label)
    _prune_tags(quiz.course)


@transaction.atomic
def slot_reorder(*, actor: Any, quiz: Quiz, order: list[int]) -> list[QuizSlot]:
    """Put the quiz's slots in the order of ``order`` (every slot id once)."""
    require_course_edit(actor, quiz.course)
    quiz = Quiz.objects.select_for_update().select_related("lesson").get(pk=quiz.pk)
    slots = list(quiz.slots.order_by("position", "pk"))
    by_id = {slot.pk: slot for slot in slots}
    if len(order) != len(set(order)) or set(order) != set(by_id):
        raise ValidationError({"order": _("List every line of the quiz exactly once.")})
    changed = False
    for position, slot_id in enumerate(order):
        slot = by_id[slot_id]
        if slot.position != position:
            slot.position = position
            slot.save(update_fields=["position"])
            changed = True
    if changed:
        _after_slots(actor, quiz, "reordered", None)
    return [by_id[slot_id] for slot_id in order]


@transaction.atomic
def slot_move(*, actor: Any, slot: QuizSlot, direction: str) -> None:
    """Swap a slot with its neighbour (``up`` or ``down``); at an end nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")})
    order = list(slot.quiz.slots.order_by("position", "pk").values_list("pk", flat=True))
    i = order.index(slot.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        slot_reorder(actor=actor, quiz=slot.quiz, order=order)


def _renumber(quiz: Quiz) -> None:
    for position, slot in enumerate(quiz.slots.order_by("position", "pk")):
        if slot.position != position:
            slot.position = position
            slot.save(update_fields=["position"])


def _after_slots(
    actor: Any, quiz: Quiz, change: str, slot: QuizSlot | None, label: str = ""
) -> None:
    if quiz.lesson.is_published and (problems := quiz_problems(quiz)):
        raise ValidationError(
            [_("Learners can take this quiz, so it must keep working:"), *problems]
        )
    details: dict[str, Any] = {
        "course": quiz.course.public_id,
        "lesson": quiz.lesson.public_id,
        "slots": change,
    }
    if slot is not None or label:
        with translation.override("en"):  # the audit trail keeps one language
            details["slot"] = label or slot_label(slot)  # type: ignore[arg-type]
    record(actor=actor, action="quiz.updated", target=quiz, details=details)
    quiz_sync_grade_item(quiz)


# --- Publishing rules -------------------------------------------------------------------------


def quiz_problems(quiz: Quiz) -> list[str]:
    """Why this quiz cannot be taken yet (empty when it can), in sentences an author can
    act on."""
    slots = list(quiz.slots.select_related("question", "bank", "tag").order_by("position", "pk"))
    if not slots:
        return [_("Add at least one question to the quiz.")]
    problems: list[str] = []
    fixed = {slot.question_id for slot in slots if slot.question_id}
    pools: set[int] = set()
    needed = 0
    for n, slot in enumerate(slots, start=1):
        if slot.question is not None:
            if slot.question.is_archived:
                problems.append(
                    _("Question %(n)s (“%(title)s”) is archived: remove it.")
                    % {"n": n, "title": slot.question.title}
                )
            continue
        pool = set(slot_pool(slot).exclude(pk__in=fixed).values_list("pk", flat=True))
        if slot.count > len(pool):
            problems.append(
                ngettext(
                    "Line %(n)s draws %(label)s, which has only %(count)s question to draw "
                    "(besides the fixed ones).",
                    "Line %(n)s draws %(label)s, which has only %(count)s questions to draw "
                    "(besides the fixed ones).",
                    len(pool),
                )
                % {"n": n, "label": slot_label(slot), "count": len(pool)}
            )
        pools |= pool
        needed += slot.count
    if not problems and needed > len(pools):
        problems.append(
            _(
                "The random lines draw %(needed)s questions in all, but their banks and tags "
                "hold only %(count)s different questions: draw fewer or add questions."
            )
            % {"needed": needed, "count": len(pools)}
        )
    return problems


def _guard_published_quizzes(course: Course) -> None:
    """Refuse (roll back) a change that breaks a quiz learners can take."""
    for quiz in Quiz.objects.filter(course=course, lesson__is_published=True).select_related(
        "lesson"
    ):
        if problems := quiz_problems(quiz):
            raise ValidationError(
                [
                    _("The published quiz “%(title)s” would break:") % {"title": quiz.lesson.title},
                    *problems,
                ]
            )


def _quiz_titles(slots: QuerySet[QuizSlot]) -> list[str]:
    titles = slots.values_list("quiz__lesson__title", flat=True).distinct()
    return [f"“{t}”" for t in sorted(set(titles))]


# --- Accommodations ---------------------------------------------------------------------------


def quiz_learners(quiz: Quiz) -> QuerySet[CourseMembership]:
    """The course's learners (enrolment memberships), for the accommodations page."""
    return (
        CourseMembership.objects.filter(course_id=quiz.course_id, role__slug="learner")
        .select_related("user")
        .order_by("user__full_name", "user__email", "pk")
    )


@transaction.atomic
def accommodation_set(
    *,
    actor: Any,
    quiz: Quiz,
    user: Any,
    extra_minutes: int = 0,
    extra_attempts: int = 0,
    note: str = "",
) -> Accommodation:
    """Give a learner of the course extra time and/or attempts on this quiz (replaces
    what they had)."""
    course = quiz.course
    require_course_edit(actor, course)
    errors: dict[str, str] = {}
    if not quiz_learners(quiz).filter(user=user).exists():
        errors["user"] = _("Choose a learner of this course.")
    for field, value, limit in (
        ("extra_minutes", extra_minutes, MAX_EXTRA_MINUTES),
        ("extra_attempts", extra_attempts, MAX_ATTEMPTS),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            errors[field] = _("Give a whole number from 0 to %(limit)s.") % {"limit": limit}
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > 300:
        errors["note"] = _("Keep the note under 300 characters.")
    if not errors and extra_minutes == 0 and extra_attempts == 0:
        errors["extra_minutes"] = _(
            "Give extra time or extra attempts (or remove the accommodation)."
        )
    if errors:
        raise ValidationError(errors)
    accommodation, created = Accommodation.objects.select_for_update().get_or_create(
        quiz=quiz,
        user=user,
        defaults={"extra_minutes": extra_minutes, "extra_attempts": extra_attempts, "note": note},
    )
    if not created:
        values = {"extra_minutes": extra_minutes, "extra_attempts": extra_attempts, "note": note}
        changed = [f for f, v in values.items() if getattr(accommodation, f) != v]
        if not changed:
            return accommodation
        for field in changed:
            setattr(accommodation, field, values[field])
        accommodation.save(update_fields=[*changed, "updated_at"])
    record(
        actor=actor,
        action="quiz.accommodation_set",
        target=quiz,
        details={
            "course": course.public_id,
            "learner": user.public_id,
            "extra_minutes": extra_minutes,
            "extra_attempts": extra_attempts,
        },
    )
    return accommodation


@transaction.atomic
def accommodation_remove(*, actor: Any, quiz: Quiz, user: Any) -> bool:
    course = quiz.course
    require_course_edit(actor, course)
    deleted, _by_model = Accommodation.objects.filter(quiz=quiz, user=user).delete()
    if deleted:
        record(
            actor=actor,
            action="quiz.accommodation_set",
            target=quiz,
            details={"course": course.public_id, "learner": user.public_id, "removed": True},
        )
    return bool(deleted)


# --- Course copy ------------------------------------------------------------------------------


def quiz_copy(*, source: Lesson, copy: Lesson) -> Quiz | None:
    """Copy a quiz lesson's quiz into ``copy`` (made by a course copy): its settings, its
    slots, and the banks its slots use with their questions and tags (a bank used by
    several quizzes is copied once). Learners' attempts and accommodations stay behind."""
    original = Quiz.objects.filter(lesson=source).first()
    if original is None:
        return quiz_create_for_lesson(lesson=copy)
    course = copy.course
    quiz = Quiz(lesson=copy, course=course)
    for field in QUIZ_FIELDS:
        setattr(quiz, field, getattr(original, field))
    quiz.save()
    slots = list(
        original.slots.select_related("question", "bank", "tag").order_by("position", "pk")
    )
    banks = {s.bank_id for s in slots if s.bank_id} | {
        s.question.bank_id for s in slots if s.question is not None
    }
    if any(s.tag_id and not s.bank_id for s in slots):
        # A slot drawing by tag alone draws from every bank of the course.
        banks |= set(
            QuestionBank.objects.filter(course_id=source.course_id).values_list("pk", flat=True)
        )
    bank_map = {pk: _bank_copy(QuestionBank.objects.get(pk=pk), course) for pk in sorted(banks)}
    for slot in slots:
        new = QuizSlot(quiz=quiz, position=slot.position, count=slot.count)
        if slot.question is not None:
            target = bank_map[slot.question.bank_id]
            new.question = Question.objects.filter(
                bank=target, copied_from=slot.question
            ).first() or _question_copy(slot.question, target)
        if slot.bank_id:
            new.bank = bank_map[slot.bank_id]
        if slot.tag is not None:
            new.tag = _tags_for(course, [slot.tag.name])[0]
        new.save()
    quiz_sync_grade_item(quiz)
    return quiz


def _bank_copy(bank: QuestionBank, course: Course) -> QuestionBank:
    existing = QuestionBank.objects.filter(course=course, name=bank.name).first()
    if existing is not None:
        return existing
    new = QuestionBank.objects.create(course=course, name=bank.name, description=bank.description)
    for question in bank.questions.filter(is_archived=False).prefetch_related("tags"):
        _question_copy(question, new)
    return new


def _question_copy(question: Question, bank: QuestionBank) -> Question:
    copied = Question.objects.create(
        bank=bank,
        course=bank.course,
        kind=question.kind,
        title=question.title,
        text=question.text,
        text_html=question.text_html,
        config=question.config,
        points=question.points,
        explanation=question.explanation,
        copied_from=question,
    )
    copied.tags.set(_tags_for(bank.course, [tag.name for tag in question.tags.all()]))
    return copied
