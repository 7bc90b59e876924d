"""The quiz lesson kind: created with a quiz, published only when it can be taken, and
copied with its settings, slots, banks, questions and tags by a course copy."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from syllabus.assessments.models import Accommodation, Question, QuestionBank, Quiz
from syllabus.assessments.services_authoring import (
    accommodation_set,
    question_delete,
    quiz_update,
    slot_add,
)
from syllabus.assessments.tests.authoring_helpers import (
    bank_with_questions,
    course_with_instructor,
    enrol,
    quiz_lesson,
    quiz_of,
)
from syllabus.assessments.tests.test_authoring_services import _attempt_with
from syllabus.courses.lesson_kinds import handler_for
from syllabus.courses.models import Lesson
from syllabus.courses.services import course_copy, lesson_set_published
from syllabus.grades.models import GradeItem
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


def _problems(lesson: Lesson) -> list[str]:
    handler = handler_for("quiz")
    assert handler is not None
    return handler.publish_problems(lesson=lesson)


def test_the_quiz_kind_is_registered():
    assert handler_for("quiz") is not None


def test_a_new_quiz_lesson_has_a_quiz_and_cannot_be_published_empty(course, instructor):
    lesson = quiz_lesson(course, instructor)
    quiz = Quiz.objects.get(lesson=lesson)
    assert quiz.course_id == course.pk
    assert _problems(lesson) == ["Add at least one question to the quiz."]
    with pytest.raises(ValidationError, match="Add at least one question"):
        lesson_set_published(actor=instructor, lesson=lesson, published=True)


def test_a_quiz_lesson_without_a_quiz_row_says_what_to_do(course):
    module = course.modules.create(title="M", position=0)
    lesson = Lesson.objects.create(course=course, module=module, title="Bare", kind="quiz")
    assert "Questions and settings" in _problems(lesson)[0]


def test_random_lines_must_have_enough_distinct_questions(course, instructor):
    quiz = quiz_of(quiz_lesson(course, instructor))
    bank, (single, _numeric) = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, question=single)
    slot_add(actor=instructor, quiz=quiz, bank=bank, count=1)
    assert _problems(quiz.lesson) == []
    # The fixed question is never drawn again: one question is left for two random lines.
    slot_add(actor=instructor, quiz=quiz, bank=bank, count=1)
    problems = _problems(quiz.lesson)
    assert problems and "2 questions in all" in problems[0]


def test_archived_fixed_questions_block_publishing(course, instructor):
    quiz = quiz_of(quiz_lesson(course, instructor))
    _, (single, _numeric) = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz, question=single)
    Question.objects.filter(pk=single.pk).update(is_archived=True)
    assert "archived" in _problems(quiz.lesson)[0]


def test_a_course_copy_copies_quizzes_with_their_banks_once(course, instructor):
    first = quiz_of(quiz_lesson(course, instructor, "First quiz"))
    second = quiz_of(quiz_lesson(course, instructor, "Second quiz"))
    bank, (single, numeric) = bank_with_questions(course, tags=("week 1",))
    unused, _ = bank_with_questions(course, name="Unused")
    due = timezone.now() + timedelta(days=3)
    quiz_update(
        actor=instructor,
        quiz=first,
        changes={"time_limit_minutes": 20, "due_at": due, "pass_percent": Decimal("80")},
    )
    slot_add(actor=instructor, quiz=first, question=single)
    slot_add(actor=instructor, quiz=first, bank=bank, count=1)
    slot_add(actor=instructor, quiz=second, question=numeric)
    learner = UserFactory()
    enrol(course, learner)
    accommodation_set(actor=instructor, quiz=first, user=learner, extra_minutes=10)
    _attempt_with(single)

    copy = course_copy(actor=instructor, course=course)

    banks = QuestionBank.objects.filter(course=copy)
    assert list(banks.values_list("name", flat=True)) == ["Bank"]  # unused bank stays behind
    copied_bank = banks.get()
    assert copied_bank.pk != bank.pk
    questions = Question.objects.filter(course=copy).order_by("pk")
    assert [q.copied_from_id for q in questions] == [single.pk, numeric.pk]
    assert [q.config for q in questions] == [single.config, numeric.config]
    assert all(q.version == 1 for q in questions)
    assert [list(q.tags.values_list("name", flat=True)) for q in questions] == [["week 1"]] * 2
    copied_first = Quiz.objects.get(course=copy, lesson__title="First quiz")
    assert (copied_first.time_limit_minutes, copied_first.due_at) == (20, due)
    assert copied_first.pass_percent == Decimal("80.00")
    slots = list(copied_first.slots.order_by("position"))
    assert slots[0].question == questions[0] and slots[1].bank == copied_bank
    copied_second = Quiz.objects.get(course=copy, lesson__title="Second quiz")
    assert copied_second.slots.get().question == questions[1]
    # Learners' accommodations and attempts stay with the original.
    assert not Accommodation.objects.filter(quiz__course=copy).exists()
    assert not copied_first.attempts.exists()
    # The copy has its own gradebook items.
    assert GradeItem.objects.filter(course=copy, kind="quiz").count() == 2
    assert unused.course_id == course.pk


def test_a_copy_of_a_tag_only_line_copies_the_banks_it_draws_from(course, instructor):
    quiz = quiz_of(quiz_lesson(course, instructor))
    bank_with_questions(course, name="A", tags=("t",))
    bank_with_questions(course, name="B", tags=("t",))
    tag = course.question_tags.get(name="t")
    slot_add(actor=instructor, quiz=quiz, tag=tag, count=4)
    copy = course_copy(actor=instructor, course=course)
    copied = Quiz.objects.get(course=copy)
    slot = copied.slots.get()
    assert slot.tag is not None and slot.tag.course_id == copy.pk and slot.bank is None
    assert Question.objects.filter(course=copy, tags=slot.tag).count() == 4


def test_archived_questions_are_not_copied(course, instructor):
    quiz_of(quiz_lesson(course, instructor))
    bank, (single, numeric) = bank_with_questions(course)
    quiz = Quiz.objects.get(course=course)
    slot_add(actor=instructor, quiz=quiz, bank=bank, count=1)
    _attempt_with(single)
    question_delete(actor=instructor, question=single)
    copy = course_copy(actor=instructor, course=course)
    assert list(Question.objects.filter(course=copy).values_list("copied_from", flat=True)) == [
        numeric.pk
    ]


def test_a_quiz_lesson_and_a_draft_course_with_quizzes_can_be_deleted(course, instructor):
    from syllabus.courses.models import Course
    from syllabus.courses.services import course_delete, lesson_delete

    quiz = quiz_of(quiz_lesson(course, instructor))
    bank, (single, _numeric) = bank_with_questions(course, tags=("t",))
    slot_add(actor=instructor, quiz=quiz, question=single)
    slot_add(actor=instructor, quiz=quiz, bank=bank, tag=course.question_tags.get(), count=1)
    lesson_delete(actor=instructor, lesson=quiz.lesson)
    assert not Quiz.objects.exists() and Question.objects.count() == 2
    other = quiz_of(quiz_lesson(course, instructor, "Another"))
    slot_add(actor=instructor, quiz=other, bank=bank, count=2)
    course_delete(actor=instructor, course=course)
    assert not Course.objects.filter(pk=course.pk).exists()
    assert not QuestionBank.objects.exists() and not Question.objects.exists()
