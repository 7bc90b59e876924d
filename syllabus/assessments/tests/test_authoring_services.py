"""Quiz authoring services: banks, questions (versions, archive instead of delete),
quiz settings, slots, accommodations, the gradebook item and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from syllabus.assessments.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionBank,
    QuestionTag,
    QuizSlot,
)
from syllabus.assessments.services_authoring import (
    accommodation_remove,
    accommodation_set,
    bank_create,
    bank_delete,
    bank_update,
    question_create,
    question_delete,
    question_update,
    quiz_nominal_points,
    quiz_problems,
    quiz_update,
    slot_add,
    slot_move,
    slot_remove,
    slot_reorder,
    slot_update,
)
from syllabus.assessments.tests.authoring_helpers import (
    CONFIGS,
    bank_with_questions,
    course_with_instructor,
    enrol,
    quiz_lesson,
    quiz_of,
)
from syllabus.audit.models import AuditEvent
from syllabus.courses.services import lesson_set_published
from syllabus.grades.models import GradeItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def quiz(course, instructor):
    return quiz_of(quiz_lesson(course, instructor))


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def _attempt_with(question: Question) -> Attempt:
    quiz = Question.objects.get(pk=question.pk)
    learner = UserFactory()
    lesson_quiz = quiz_of(quiz_lesson(question.course, title=f"Used {learner.pk}"))
    attempt = Attempt.objects.create(
        quiz=lesson_quiz, user=learner, number=1, started_at=timezone.now(), status="submitted"
    )
    AttemptQuestion.objects.create(
        attempt=attempt,
        position=0,
        question=quiz,
        question_version=quiz.version,
        snapshot={},
        points=quiz.points,
    )
    return attempt


# --- Banks ------------------------------------------------------------------------------------


def test_bank_create_update_delete_are_audited(course, instructor):
    bank = bank_create(actor=instructor, course=course, name=" Algebra ", description="x")
    assert bank.name == "Algebra"
    bank_update(actor=instructor, bank=bank, changes={"name": "Algebra I"})
    bank_update(actor=instructor, bank=bank, changes={"name": "Algebra I"})  # no change
    bank_delete(actor=instructor, bank=bank)
    assert not QuestionBank.objects.exists()
    assert _actions()[-3:] == [
        "question_bank.created",
        "question_bank.updated",
        "question_bank.deleted",
    ]


def test_bank_names_are_unique_per_course_ignoring_case(course, instructor):
    bank_create(actor=instructor, course=course, name="Algebra")
    with pytest.raises(ValidationError) as error:
        bank_create(actor=instructor, course=course, name="ALGEBRA")
    assert "name" in error.value.message_dict
    other = course_with_instructor(instructor, "Other")
    bank_create(actor=instructor, course=other, name="Algebra")
    assert QuestionBank.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bank_names_are_checked(course, instructor, name):
    with pytest.raises(ValidationError):
        bank_create(actor=instructor, course=course, name=name)
    assert not QuestionBank.objects.exists()


def test_people_without_course_edit_cannot_author(course):
    learner = UserFactory()
    enrol(course, learner)
    with pytest.raises(PermissionDenied):
        bank_create(actor=learner, course=course, name="Mine")
    bank, (question, _) = bank_with_questions(course)
    with pytest.raises(PermissionDenied):
        question_update(actor=learner, question=question, changes={"title": "x"})
    with pytest.raises(PermissionDenied):
        bank_delete(actor=learner, bank=bank)
    assert QuestionBank.objects.count() == 1


def test_a_bank_a_quiz_draws_from_cannot_be_deleted(course, instructor, quiz):
    bank, _ = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, bank=bank, count=1)
    with pytest.raises(ValidationError, match="Quizzes use this bank"):
        bank_delete(actor=instructor, bank=bank)
    assert QuestionBank.objects.filter(pk=bank.pk).exists()


def test_a_bank_whose_questions_attempts_used_is_kept(course, instructor):
    bank, (question, _) = bank_with_questions(course)
    _attempt_with(question)
    with pytest.raises(ValidationError, match="attempts used"):
        bank_delete(actor=instructor, bank=bank)


# --- Questions --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_every_kind_of_question_can_be_created(course, instructor, kind):
    bank = bank_create(actor=instructor, course=course, name="All")
    question = question_create(
        actor=instructor,
        bank=bank,
        kind=kind,
        title="Q",
        text="**Bold** <script>x</script>",
        config=CONFIGS[kind],
        points="2.5",
        tags=["week 1", "Week 1", "hard"],
    )
    assert question.version == 1
    assert question.points == Decimal("2.50")
    assert "<strong>Bold</strong>" in question.text_html and "<script" not in question.text_html
    assert sorted(question.tags.values_list("name", flat=True)) == ["hard", "week 1"]
    assert question.course_id == course.pk
    assert _actions()[-1] == "question.created"


def test_a_question_with_a_bad_answer_key_writes_nothing(course, instructor):
    bank = bank_create(actor=instructor, course=course, name="B")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        question_create(
            actor=instructor,
            bank=bank,
            kind="single",
            title="",
            text="",
            config={"options": [{"text": "Only", "correct": True}]},
            points="0",
            tags=["x"],
        )
    assert set(error.value.message_dict) == {"title", "text", "config", "points"}
    assert not Question.objects.exists() and not QuestionTag.objects.exists()
    assert AuditEvent.objects.count() == events


def test_editing_text_config_or_points_makes_a_new_version(course, instructor):
    _, (question, _) = bank_with_questions(course)
    question = question_update(actor=instructor, question=question, changes={"title": "Renamed"})
    assert question.version == 1
    question = question_update(actor=instructor, question=question, changes={"points": "3"})
    assert question.version == 2
    config = dict(question.config)
    config["options"] = [dict(o) for o in config["options"]]
    config["options"][0]["text"] = "Paris, France"
    question = question_update(actor=instructor, question=question, changes={"config": config})
    assert question.version == 3
    # Ids are kept when the author sends them back.
    assert [o["id"] for o in question.config["options"]] == [o["id"] for o in config["options"]]
    question = question_update(actor=instructor, question=question, changes={"text": "New?"})
    assert question.version == 4 and question.text_html.strip() == "<p>New?</p>"
    assert _actions().count("question.updated") == 4


def test_tags_alone_do_not_make_a_new_version_and_unused_tags_go(course, instructor):
    _, (question, _) = bank_with_questions(course, tags=("old",))
    question = question_update(actor=instructor, question=question, changes={"tags": ["new"]})
    assert question.version == 1
    assert list(QuestionTag.objects.values_list("name", flat=True)) == ["new", "old"]
    question_update(
        actor=instructor,
        question=Question.objects.exclude(pk=question.pk).get(),
        changes={"tags": []},
    )
    assert list(QuestionTag.objects.values_list("name", flat=True)) == ["new"]


def test_the_kind_changes_only_with_a_new_answer_key_and_before_any_attempt(course, instructor):
    _, (question, _) = bank_with_questions(course)
    with pytest.raises(ValidationError, match="answer settings"):
        question_update(actor=instructor, question=question, changes={"kind": "true_false"})
    question = question_update(
        actor=instructor,
        question=question,
        changes={"kind": "true_false", "config": {"answer": False}},
    )
    assert question.kind == "true_false" and question.version == 2
    _attempt_with(question)
    with pytest.raises(ValidationError, match="kind cannot change"):
        question_update(
            actor=instructor, question=question, changes={"kind": "essay", "config": {}}
        )


def test_deleting_a_question_used_by_attempts_archives_it(course, instructor):
    _, (used, unused) = bank_with_questions(course)
    _attempt_with(used)
    assert question_delete(actor=instructor, question=used) is True
    assert Question.objects.get(pk=used.pk).is_archived
    assert question_delete(actor=instructor, question=unused) is False
    assert not Question.objects.filter(pk=unused.pk).exists()
    with pytest.raises(ValidationError, match="archived"):
        question_update(actor=instructor, question=used, changes={"title": "x"})
    events = AuditEvent.objects.filter(action="question.deleted").order_by("pk")
    assert [e.details["archived"] for e in events] == [True, False]


def test_a_question_a_quiz_asks_cannot_be_deleted(course, instructor, quiz):
    _, (question, _) = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, question=question)
    with pytest.raises(ValidationError, match="Quizzes ask this question"):
        question_delete(actor=instructor, question=question)


# --- Quiz settings ----------------------------------------------------------------------------


def test_a_quiz_lesson_gets_a_quiz_with_defaults(quiz):
    assert quiz.attempts_allowed == 1
    assert quiz.pass_percent == Decimal("50")
    assert quiz_problems(quiz) == ["Add at least one question to the quiz."]


def test_quiz_settings_are_validated_together(quiz, instructor):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        quiz_update(
            actor=instructor,
            quiz=quiz,
            changes={
                "opens_at": now,
                "closes_at": now - timedelta(hours=1),
                "pass_percent": Decimal("101"),
                "attempts_allowed": -1,
                "time_limit_minutes": 0,
                "attempt_policy": "best",
            },
        )
    assert set(error.value.message_dict) == {
        "closes_at",
        "pass_percent",
        "attempts_allowed",
        "time_limit_minutes",
        "attempt_policy",
    }
    with pytest.raises(ValidationError, match="before they see their results"):
        quiz_update(
            actor=instructor,
            quiz=quiz,
            changes={"results_visibility": "never", "answers_visibility": "immediately"},
        )
    with pytest.raises(ValidationError, match="cannot be changed"):
        quiz_update(actor=instructor, quiz=quiz, changes={"lesson": None})
    assert not AuditEvent.objects.filter(action="quiz.updated").exists()


def test_quiz_settings_are_saved_and_audited(quiz, instructor):
    now = timezone.now()
    quiz = quiz_update(
        actor=instructor,
        quiz=quiz,
        changes={
            "opens_at": now,
            "closes_at": now + timedelta(days=7),
            "due_at": now + timedelta(days=5),
            "time_limit_minutes": 30,
            "attempts_allowed": 0,
            "pass_percent": "75.5",
            "attempt_policy": "average",
            "answers_visibility": "after_due",
            "shuffle_questions": True,
        },
    )
    assert quiz.pass_percent == Decimal("75.50") and quiz.attempts_allowed == 0
    event = AuditEvent.objects.get(action="quiz.updated")
    assert "time_limit_minutes" in event.details["fields"]


# --- Slots and the gradebook ------------------------------------------------------------------


def test_slots_fixed_and_random_set_the_nominal_points_and_grade_item(course, instructor, quiz):
    _, (single, _numeric) = bank_with_questions(course, points=Decimal("2"))
    extra = bank_create(actor=instructor, course=course, name="Extra")
    for n, points in enumerate(("1", "3")):
        question_create(
            actor=instructor,
            bank=extra,
            kind="true_false",
            title=f"tf {n}",
            text="True?",
            config={"answer": True},
            points=points,
            tags=["tf"],
        )
    slot_add(actor=instructor, quiz=quiz, question=single)
    assert GradeItem.objects.get(kind="quiz", source_id=quiz.pk).max_points == Decimal("2")
    tag = QuestionTag.objects.get(name="tf")
    random_slot = slot_add(actor=instructor, quiz=quiz, bank=extra, tag=tag, count=2)
    # 2 + 2 x mean(1, 3)
    assert quiz_nominal_points(quiz) == Decimal("6.00")
    item = GradeItem.objects.get(kind="quiz", source_id=quiz.pk)
    assert item.max_points == Decimal("6.00") and item.title == "Check-up"
    assert quiz_problems(quiz) == []
    slot_update(actor=instructor, slot=random_slot, count=3)
    assert "has only 2 questions" in quiz_problems(quiz)[0]
    with pytest.raises(ValidationError):
        slot_update(actor=instructor, slot=random_slot, count=0)


def test_slots_refuse_bad_sources(course, instructor, quiz):
    other = course_with_instructor(instructor, "Elsewhere")
    other_bank, (foreign, _) = bank_with_questions(other)
    bank, (question, _) = bank_with_questions(course)
    with pytest.raises(ValidationError):
        slot_add(actor=instructor, quiz=quiz, question=foreign)
    with pytest.raises(ValidationError):
        slot_add(actor=instructor, quiz=quiz, bank=other_bank)
    with pytest.raises(ValidationError):
        slot_add(actor=instructor, quiz=quiz)
    with pytest.raises(ValidationError):
        slot_add(actor=instructor, quiz=quiz, question=question, bank=bank)
    with pytest.raises(ValidationError):
        slot_add(actor=instructor, quiz=quiz, bank=bank, count=101)
    slot_add(actor=instructor, quiz=quiz, question=question)
    with pytest.raises(ValidationError, match="already asks"):
        slot_add(actor=instructor, quiz=quiz, question=question)
    assert quiz.slots.count() == 1


def test_slots_reorder_move_and_remove(course, instructor, quiz):
    _, questions = bank_with_questions(course, kinds=("single", "numeric", "essay"))
    slots = [slot_add(actor=instructor, quiz=quiz, question=q) for q in questions]
    slot_move(actor=instructor, slot=slots[2], direction="up")
    assert list(quiz.slots.values_list("pk", flat=True)) == [slots[0].pk, slots[2].pk, slots[1].pk]
    with pytest.raises(ValidationError):
        slot_reorder(actor=instructor, quiz=quiz, order=[slots[0].pk, slots[0].pk, slots[1].pk])
    slot_reorder(actor=instructor, quiz=quiz, order=[s.pk for s in reversed(slots)])
    assert list(quiz.slots.values_list("pk", flat=True)) == [s.pk for s in reversed(slots)]
    slot_remove(actor=instructor, slot=slots[1])
    assert list(quiz.slots.values_list("position", flat=True)) == [0, 1]
    assert _actions().count("quiz.updated") == 3 + 1 + 1 + 1


def test_a_published_quiz_cannot_be_broken(course, instructor, quiz):
    bank, (single, _numeric) = bank_with_questions(course)
    slot = slot_add(actor=instructor, quiz=quiz, bank=bank, count=2)
    lesson_set_published(actor=instructor, lesson=quiz.lesson, published=True)
    with pytest.raises(ValidationError, match="would break"):
        question_delete(actor=instructor, question=single)
    assert Question.objects.filter(pk=single.pk).exists()
    with pytest.raises(ValidationError, match="must keep working"):
        slot_remove(actor=instructor, slot=slot)
    assert QuizSlot.objects.filter(pk=slot.pk).exists()


def test_a_quiz_lesson_is_published_only_when_it_can_be_taken(course, instructor, quiz):
    with pytest.raises(ValidationError, match="Add at least one question"):
        lesson_set_published(actor=instructor, lesson=quiz.lesson, published=True)
    bank, _ = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, bank=bank, count=3)
    with pytest.raises(ValidationError, match="has only 2"):
        lesson_set_published(actor=instructor, lesson=quiz.lesson, published=True)


def test_results_visibility_maps_to_the_grade_item(course, instructor, quiz):
    _, (question, _) = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, question=question)
    item = GradeItem.objects.get(kind="quiz", source_id=quiz.pk)
    assert item.learner_visibility == "always"
    due = timezone.now() + timedelta(days=3)
    quiz_update(actor=instructor, quiz=quiz, changes={"due_at": due})
    assert GradeItem.objects.get(pk=item.pk).due_at == due
    quiz_update(actor=instructor, quiz=quiz, changes={"results_visibility": "after_due"})
    item = GradeItem.objects.get(pk=item.pk)
    assert (item.learner_visibility, item.learner_visible_from) == ("after", due)
    quiz_update(
        actor=instructor,
        quiz=quiz,
        changes={"results_visibility": "never", "answers_visibility": "never"},
    )
    assert GradeItem.objects.get(pk=item.pk).learner_visibility == "never"


# --- Accommodations ---------------------------------------------------------------------------


def test_accommodations_for_learners_of_the_course(course, instructor, quiz):
    learner, stranger = UserFactory(), UserFactory()
    enrol(course, learner)
    accommodation_set(actor=instructor, quiz=quiz, user=learner, extra_minutes=15, note="Plan")
    accommodation_set(actor=instructor, quiz=quiz, user=learner, extra_minutes=15, note="Plan")
    accommodation_set(actor=instructor, quiz=quiz, user=learner, extra_attempts=1)
    found = Accommodation.objects.get()
    assert (found.extra_minutes, found.extra_attempts, found.note) == (0, 1, "")
    with pytest.raises(ValidationError) as error:
        accommodation_set(actor=instructor, quiz=quiz, user=stranger, extra_minutes=-1)
    assert set(error.value.message_dict) == {"user", "extra_minutes"}
    with pytest.raises(ValidationError):
        accommodation_set(actor=instructor, quiz=quiz, user=learner)
    assert accommodation_remove(actor=instructor, quiz=quiz, user=learner) is True
    assert accommodation_remove(actor=instructor, quiz=quiz, user=learner) is False
    assert _actions().count("quiz.accommodation_set") == 3


def test_a_bank_name_taken_at_the_same_moment_is_a_validation_error(course, instructor):
    from unittest import mock

    bank_create(actor=instructor, course=course, name="Algebra")
    # The name check passed (another author's bank was not committed yet): the unique
    # constraint still refuses it, as a message rather than a server error.
    with (
        mock.patch(
            "syllabus.assessments.services_authoring._bank_fields", return_value=("Algebra", "")
        ),
        pytest.raises(ValidationError, match="already has a bank"),
    ):
        bank_create(actor=instructor, course=course, name="Algebra")
    assert QuestionBank.objects.count() == 1
