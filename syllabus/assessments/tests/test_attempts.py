"""Attempt services: starting (rules, draws, shuffles, deadlines), autosave, submit,
expiry, essays, regrades, the counted result in the gradebook and lesson completion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from syllabus.assessments.models import Accommodation, Attempt, Question, QuestionTag, QuizSlot
from syllabus.assessments.services_attempts import (
    AttemptRefused,
    answers_visible,
    attempts_behind,
    counted_result,
    expire_attempts,
    grade_essay,
    regrade_question,
    results_visible,
    save_answer,
    start_attempt,
    submit_attempt,
)
from syllabus.assessments.tests.attempt_factories import (
    KINDS,
    learner_in,
    make_question,
    make_quiz,
    right,
    staff_in,
    wrong,
)
from syllabus.audit.models import AuditEvent
from syllabus.grades.models import Grade
from syllabus.learning.models import LessonProgress
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def answer_all(attempt, user, *, correct=True):
    for row in attempt.questions.order_by("position"):
        kind = row.snapshot["kind"]
        save_answer(
            user=user,
            attempt=attempt,
            position=row.position,
            response=right(kind) if correct else wrong(kind),
        )


# --- Start --------------------------------------------------------------------------------


def test_start_snapshots_every_question_and_hides_nothing_it_should_keep():
    quiz = make_quiz(kinds=tuple(KINDS))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    rows = list(attempt.questions.order_by("position"))
    assert [r.snapshot["kind"] for r in rows] == list(KINDS)
    assert attempt.max_score == Decimal(len(KINDS))
    assert attempt.number == 1 and attempt.deadline_at is None
    single = rows[0].snapshot
    assert {"id", "text"} == set(single["options"][0])  # no "correct" flag in what is shown
    ordering = rows[6].snapshot
    assert [i["id"] for i in ordering["items"]] != ["i1", "i2", "i3"]  # never shown solved
    assert AuditEvent.objects.filter(action="quiz.attempt_started").count() == 1


def test_start_resumes_the_open_attempt():
    quiz = make_quiz()
    learner = learner_in(quiz.course)
    first = start_attempt(user=learner, quiz=quiz)
    assert start_attempt(user=learner, quiz=quiz).pk == first.pk
    assert Attempt.objects.count() == 1


def test_random_slots_draw_distinct_non_archived_questions_from_bank_and_tag():
    quiz = make_quiz(kinds=("single",))
    bank = quiz.course.question_banks.get()
    fixed = QuizSlot.objects.get(quiz=quiz).question
    assert fixed is not None
    tag = QuestionTag.objects.create(course=quiz.course, name="easy")
    tagged = [make_question(bank, "true_false") for _ in range(3)]
    for q in tagged:
        q.tags.add(tag)
    archived = make_question(bank, "true_false", is_archived=True)
    archived.tags.add(tag)
    QuizSlot.objects.create(quiz=quiz, position=1, tag=tag, count=2)
    QuizSlot.objects.create(quiz=quiz, position=2, bank=bank, count=10)
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    drawn = list(attempt.questions.order_by("position").values_list("question_id", flat=True))
    assert drawn[0] == fixed.pk
    assert set(drawn[1:3]) <= {q.pk for q in tagged}
    assert len(drawn) == len(set(drawn)) == 4  # 1 fixed + 2 tagged + the 1 left in the bank
    assert archived.pk not in drawn


def test_shuffles_change_question_and_option_order_between_attempts():
    quiz = make_quiz(
        kinds=("single", "multiple", "true_false", "matching", "ordering"),
        shuffle_questions=True,
        shuffle_options=True,
        attempts_allowed=0,
    )
    learner = learner_in(quiz.course)
    orders, options = set(), set()
    for _ in range(12):
        attempt = start_attempt(user=learner, quiz=quiz)
        rows = list(attempt.questions.order_by("position"))
        orders.add(tuple(r.snapshot["kind"] for r in rows))
        multiple = next(r for r in rows if r.snapshot["kind"] == "multiple")
        options.add(tuple(o["id"] for o in multiple.snapshot["options"]))
        submit_attempt(user=learner, attempt=attempt)
    assert len(orders) > 1 and len(options) > 1


def test_availability_window_and_attempts_allowed_with_accommodation():
    now = timezone.now()
    quiz = make_quiz(opens_at=now + timedelta(hours=1), attempts_allowed=1)
    learner = learner_in(quiz.course)
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(user=learner, quiz=quiz, now=now)
    assert refused.value.code == "quiz_not_open"
    later = now + timedelta(hours=2)
    attempt = start_attempt(user=learner, quiz=quiz, now=later)
    submit_attempt(user=learner, attempt=attempt, now=later)
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(user=learner, quiz=quiz, now=later)
    assert refused.value.code == "no_attempts_left"
    Accommodation.objects.create(quiz=quiz, user=learner, extra_attempts=1)
    assert start_attempt(user=learner, quiz=quiz, now=later).number == 2
    quiz.closes_at = later + timedelta(minutes=1)
    quiz.save()
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(user=learner, quiz=quiz, now=later + timedelta(minutes=5))
    assert refused.value.code == "quiz_closed"
    assert Attempt.objects.get(number=2).submitted_by_server


def test_deadline_is_time_limit_plus_extra_minutes_capped_by_closing():
    now = timezone.now()
    quiz = make_quiz(time_limit_minutes=30, closes_at=now + timedelta(minutes=40))
    learner, other = learner_in(quiz.course), learner_in(quiz.course)
    Accommodation.objects.create(quiz=quiz, user=other, extra_minutes=15)
    assert start_attempt(user=learner, quiz=quiz, now=now).deadline_at == now + timedelta(
        minutes=30
    )
    assert start_attempt(user=other, quiz=quiz, now=now).deadline_at == quiz.closes_at


def test_only_enrolled_learners_attempt_and_staff_only_preview():
    quiz = make_quiz()
    with pytest.raises(PermissionDenied):
        start_attempt(user=UserFactory(), quiz=quiz)
    with pytest.raises(PermissionDenied, match="preview"):
        start_attempt(user=staff_in(quiz.course), quiz=quiz)
    assert not Attempt.objects.exists()


def test_an_empty_quiz_cannot_start():
    quiz = make_quiz(kinds=())
    with pytest.raises(AttemptRefused) as refused:
        start_attempt(user=learner_in(quiz.course), quiz=quiz)
    assert refused.value.code == "quiz_empty"


# --- Autosave and submit ---------------------------------------------------------------------


def test_answers_are_saved_and_graded_on_submit_into_the_gradebook_and_completion():
    quiz = make_quiz(
        kinds=("single", "multiple", "numeric", "short_text"), pass_percent=Decimal("70")
    )
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    answer_all(attempt, learner)
    save_answer(user=learner, attempt=attempt, position=2, response=wrong("multiple"))
    submitted = submit_attempt(user=learner, attempt=attempt)
    assert submitted.status == "submitted" and not submitted.submitted_by_server
    assert (submitted.score, submitted.max_score, submitted.percent) == (
        Decimal("3.00"),
        Decimal("4.00"),
        Decimal("75.00"),
    )
    assert Grade.objects.get(user=learner).points == Decimal("7.50")  # 75 % of 10
    assert LessonProgress.objects.get(user=learner, lesson=quiz.lesson).completed_at is not None
    assert AuditEvent.objects.filter(action="quiz.attempt_submitted").count() == 1


def test_a_failed_attempt_does_not_complete_the_lesson():
    quiz = make_quiz(pass_percent=Decimal("50"))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    answer_all(attempt, learner, correct=False)
    submit_attempt(user=learner, attempt=attempt)
    assert not LessonProgress.objects.filter(user=learner, completed_at__isnull=False).exists()
    assert Grade.objects.get(user=learner).points == Decimal("0.00")


def test_submit_is_idempotent():
    quiz = make_quiz()
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    first = submit_attempt(user=learner, attempt=attempt)
    again = submit_attempt(user=learner, attempt=attempt)
    assert first.submitted_at == again.submitted_at
    assert AuditEvent.objects.filter(action="quiz.attempt_submitted").count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"position": 99, "response": {"value": True}}, "unknown_question"),
        ({"position": 1, "response": {"option": "tampered"}}, "invalid_answer"),
        ({"position": 2, "response": {"value": 10**100}}, "invalid_answer"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(change, code):
    quiz = make_quiz()
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    with pytest.raises(AttemptRefused) as refused:
        save_answer(user=learner, attempt=attempt, **change)
    assert refused.value.code == code
    assert not attempt.questions.filter(saved_at__isnull=False).exists()


def test_answers_after_submit_or_from_someone_else_are_refused():
    quiz = make_quiz()
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    with pytest.raises(PermissionDenied):
        save_answer(user=learner_in(quiz.course), attempt=attempt, position=1, response=None)
    submit_attempt(user=learner, attempt=attempt)
    with pytest.raises(AttemptRefused) as refused:
        save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    assert refused.value.code == "attempt_submitted"
    assert attempt.questions.get(position=1).response is None


def test_the_time_limit_is_enforced_by_the_server():
    start = timezone.now()
    quiz = make_quiz(time_limit_minutes=10)
    learner = learner_in(quiz.course)
    with time_machine.travel(start, tick=False):
        attempt = start_attempt(user=learner, quiz=quiz)
        save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        with pytest.raises(AttemptRefused) as refused:
            save_answer(user=learner, attempt=attempt, position=2, response=right("true_false"))
        assert refused.value.code == "time_over"
        # The learner's late submit closes it with what was saved in time.
        closed = submit_attempt(user=learner, attempt=attempt)
    assert closed.submitted_by_server and closed.submitted_at == attempt.deadline_at
    assert closed.score == Decimal("1.00")
    assert AuditEvent.objects.filter(action="quiz.attempt_expired").count() == 1


def test_expiry_job_submits_what_was_saved_and_is_idempotent():
    start = timezone.now()
    quiz = make_quiz(time_limit_minutes=5)
    learners = [learner_in(quiz.course) for _ in range(3)]
    with time_machine.travel(start, tick=False):
        attempts = [start_attempt(user=u, quiz=quiz) for u in learners]
        save_answer(user=learners[0], attempt=attempts[0], position=1, response=right("single"))
        submit_attempt(user=learners[2], attempt=attempts[2])
    assert expire_attempts(now=start + timedelta(minutes=4)) == 0
    assert expire_attempts(now=start + timedelta(minutes=6)) == 2
    assert expire_attempts(now=start + timedelta(minutes=7)) == 0
    first = Attempt.objects.get(pk=attempts[0].pk)
    assert first.submitted_by_server and first.score == Decimal("1.00")
    assert not Attempt.objects.get(pk=attempts[2].pk).submitted_by_server


def test_starting_after_the_deadline_closes_the_old_attempt_first():
    start = timezone.now()
    quiz = make_quiz(time_limit_minutes=5, attempts_allowed=2)
    learner = learner_in(quiz.course)
    first = start_attempt(user=learner, quiz=quiz, now=start)
    second = start_attempt(user=learner, quiz=quiz, now=start + timedelta(minutes=6))
    assert second.number == 2
    assert Attempt.objects.get(pk=first.pk).submitted_by_server


# --- Attempt policy, essays, regrades ----------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"), [("highest", "100"), ("latest", "50"), ("average", "75")]
)
def test_which_attempt_counts(policy, expected):
    quiz = make_quiz(attempts_allowed=0, attempt_policy=policy)
    learner = learner_in(quiz.course)
    first = start_attempt(user=learner, quiz=quiz)
    answer_all(first, learner)
    submit_attempt(user=learner, attempt=first)
    second = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=second, position=1, response=right("single"))
    submit_attempt(user=learner, attempt=second)
    assert counted_result(user=learner, quiz=quiz).percent == Decimal(expected)
    assert Grade.objects.get(user=learner).points == Decimal(expected) / 10


def test_essays_wait_for_a_grader_then_count():
    quiz = make_quiz(kinds=("single", "essay"), pass_percent=Decimal("75"))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    answer_all(attempt, learner)
    attempt = submit_attempt(user=learner, attempt=attempt)
    assert attempt.needs_grading and attempt.score == Decimal("1.00")
    assert Grade.objects.get(user=learner).points is None
    assert not LessonProgress.objects.filter(user=learner, completed_at__isnull=False).exists()
    essay = attempt.questions.get(position=2)
    with pytest.raises(PermissionDenied):
        grade_essay(actor=learner, attempt_question=essay, points="1")
    for bad in ("-1", "1.5", "abc", "NaN", "0.001"):
        with pytest.raises(ValidationError):
            grade_essay(actor=staff_in(quiz.course), attempt_question=essay, points=bad)
    grader = staff_in(quiz.course, role="teaching_assistant")
    grade_essay(actor=grader, attempt_question=essay, points="0.5", feedback="Good start.")
    attempt.refresh_from_db()
    assert not attempt.needs_grading and attempt.percent == Decimal("75.00")
    assert Grade.objects.get(user=learner).points == Decimal("7.50")
    assert LessonProgress.objects.get(user=learner, lesson=quiz.lesson).completed_at
    assert AuditEvent.objects.filter(action="quiz.answer_graded").count() == 1


def test_regrade_after_a_question_is_fixed():
    quiz = make_quiz(kinds=("single", "true_false"))
    learners = [learner_in(quiz.course) for _ in range(2)]
    for user in learners:
        attempt = start_attempt(user=user, quiz=quiz)
        save_answer(user=user, attempt=attempt, position=1, response={"option": "ob"})
        submit_attempt(user=user, attempt=attempt)
    question = Question.objects.get(kind="single")
    question.config = {
        "options": [
            {"id": "oa", "text": "Paris", "correct": False},
            {"id": "ob", "text": "Lyon", "correct": True},
            {"id": "oc", "text": "Nice", "correct": False},
        ]
    }
    question.points = Decimal("2")
    question.version += 1
    question.save()
    assert attempts_behind(question) == 2
    with pytest.raises(PermissionDenied):
        regrade_question(actor=learners[0], question=question)
    assert regrade_question(actor=staff_in(quiz.course), question=question) == 2
    assert attempts_behind(question) == 0
    attempt = Attempt.objects.filter(user=learners[0]).get()
    assert (attempt.score, attempt.max_score) == (Decimal("2.00"), Decimal("3.00"))
    assert Grade.objects.get(user=learners[0]).points == Decimal("6.67")
    event = AuditEvent.objects.get(action="quiz.regraded")
    assert event.details["attempts"] == 2 and event.details["points_changed"] == 2


def test_visibility_of_results_and_answers():
    now = timezone.now()
    quiz = make_quiz(results_visibility="after_due", answers_visibility="after_due")
    assert results_visible(quiz, now)  # no due date: at once
    quiz.due_at = now + timedelta(days=1)
    assert not results_visible(quiz, now) and not answers_visible(quiz, now)
    assert answers_visible(quiz, now + timedelta(days=2))
    quiz.lesson.due_at = now - timedelta(days=1)
    quiz.due_at = None
    assert results_visible(quiz, now)
    quiz.answers_visibility = "never"
    assert not answers_visible(quiz, now)
    quiz.results_visibility = "never"
    quiz.answers_visibility = "immediately"
    assert not answers_visible(quiz, now)  # never answers before scores


def test_saving_the_whole_form_writes_only_what_changed_and_all_or_nothing():
    from syllabus.assessments.services_attempts import save_answers

    quiz = make_quiz(kinds=("single", "true_false", "numeric"))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    first_saved = attempt.questions.get(position=1).saved_at
    assert (
        save_answers(
            user=learner,
            attempt=attempt,
            responses={1: right("single"), 2: right("true_false"), 3: None},
        )
        == 1
    )
    assert attempt.questions.get(position=1).saved_at == first_saved
    with pytest.raises(AttemptRefused) as refused:
        save_answers(
            user=learner, attempt=attempt, responses={1: wrong("single"), 3: {"value": "inf"}}
        )
    assert refused.value.code == "invalid_answer"
    assert attempt.questions.get(position=1).response == right("single")


def test_answers_sent_with_the_submit_are_saved_and_graded_in_one_transaction():
    quiz = make_quiz(kinds=("single", "true_false", "numeric"))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    first_saved = attempt.questions.get(position=1).saved_at
    submitted = submit_attempt(
        user=learner,
        attempt=attempt,
        responses={1: right("single"), 2: right("true_false"), 3: wrong("numeric")},
    )
    assert submitted.status == Attempt.Status.SUBMITTED and not submitted.submitted_by_server
    rows = {row.position: row for row in attempt.questions.all()}
    assert rows[1].saved_at == first_saved  # unchanged: not written again
    assert rows[2].response == right("true_false") and rows[2].saved_at is not None
    awarded = [rows[p].points_awarded or Decimal(0) for p in (1, 2, 3)]
    assert [points > 0 for points in awarded] == [True, True, False]
    assert submitted.score == sum(awarded)


@pytest.mark.parametrize(
    ("responses", "code"),
    [
        ({1: right("single"), 99: {"value": True}}, "unknown_question"),
        ({1: {"option": "tampered"}}, "invalid_answer"),
        ({2: {"value": 10**100}}, "invalid_answer"),
    ],
)
def test_a_submit_with_a_bad_answer_is_refused_and_writes_nothing(responses, code):
    quiz = make_quiz(kinds=("single", "numeric"))
    learner = learner_in(quiz.course)
    attempt = start_attempt(user=learner, quiz=quiz)
    with pytest.raises(AttemptRefused) as refused:
        submit_attempt(user=learner, attempt=attempt, responses=responses)
    assert refused.value.code == code
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert not attempt.questions.filter(saved_at__isnull=False).exists()
    assert not attempt.questions.filter(points_awarded__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="quiz.attempt_submitted").exists()
    assert not Grade.objects.filter(user=learner).exists()


def test_answers_sent_with_a_submit_after_the_deadline_are_not_taken():
    start = timezone.now()
    quiz = make_quiz(kinds=("single", "true_false"), time_limit_minutes=5)
    learner = learner_in(quiz.course)
    with time_machine.travel(start, tick=False):
        attempt = start_attempt(user=learner, quiz=quiz)
        save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        closed = submit_attempt(user=learner, attempt=attempt, responses={2: right("true_false")})
    assert closed.submitted_by_server and closed.submitted_at == attempt.deadline_at
    assert attempt.questions.get(position=2).response is None
    assert closed.score == attempt.questions.get(position=1).points_awarded
