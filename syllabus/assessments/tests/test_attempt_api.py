"""The quiz-taking API: start or resume, autosave, submit, results visibility, bad
input (a clear 4xx and nothing written), query budgets, and concurrent submits and
starts (one grade, one attempt).

The threaded tests need a database where concurrent transactions really overlap
(PostgreSQL); on SQLite every write transaction holds the database's write lock
(transaction_mode=IMMEDIATE), so submits are serialised by construction, and
``test_submit_locks_the_attempt_row_first`` checks the lock on every database."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syllabus.assessments.models import Attempt, AttemptQuestion
from syllabus.assessments.tests.attempt_factories import (
    learner_in,
    make_quiz,
    right,
    staff_in,
)
from syllabus.audit.models import AuditEvent
from syllabus.grades.models import Grade
from tests.concurrency import together

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def put(client: Client, attempt: str, position: int, response) -> object:
    return client.put(
        f"/api/v1/attempts/{attempt}/answers/{position}",
        data=json.dumps({"response": response}),
        content_type="application/json",
    )


@pytest.fixture
def quiz():
    return make_quiz(kinds=("single", "numeric", "essay"), attempts_allowed=2)


@pytest.fixture
def learner(quiz):
    return learner_in(quiz.course)


def start(client: Client, quiz) -> dict:
    response = client.post(f"/api/v1/quizzes/{quiz.public_id}/attempts")
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_start_resume_save_and_submit(quiz, learner):
    client = client_for(learner)
    info = client.get(f"/api/v1/quizzes/{quiz.public_id}").json()
    assert info["can_start"] and info["attempts_left"] == 2 and info["questions"] == 3
    response = client.post(f"/api/v1/quizzes/{quiz.public_id}/attempts")
    assert response.status_code == 201
    body = response.json()
    assert [q["kind"] for q in body["questions"]] == ["single", "numeric", "essay"]
    assert "key" not in json.dumps(body) and 'correct": true' not in json.dumps(body)
    assert client.post(f"/api/v1/quizzes/{quiz.public_id}/attempts").status_code == 200
    attempt = body["public_id"]
    saved = put(client, attempt, 1, right("single"))
    assert saved.status_code == 200 and saved.json()["position"] == 1
    assert put(client, attempt, 2, {"value": "3.14"}).status_code == 200
    reloaded = client.get(f"/api/v1/attempts/{attempt}").json()
    assert reloaded["questions"][0]["response"] == right("single")
    assert reloaded["score"] is None  # nothing shown before submitting
    done = client.post(f"/api/v1/attempts/{attempt}/submit")
    assert done.status_code == 200
    result = done.json()
    assert result["status"] == "submitted" and result["needs_grading"]
    assert Decimal(result["score"]) == Decimal("2.00")
    assert result["questions"][0]["correct"] == {"option": "oa"}  # after_due, no due date
    again = client.post(f"/api/v1/attempts/{attempt}/submit")
    assert again.status_code == 200 and again.json()["submitted_at"] == result["submitted_at"]
    assert AuditEvent.objects.filter(action="quiz.attempt_submitted").count() == 1


def test_results_are_hidden_until_the_due_date(quiz, learner):
    quiz.results_visibility = "after_due"
    quiz.due_at = timezone.now() + timedelta(days=1)
    quiz.save()
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    put(client, attempt, 1, right("single"))
    result = client.post(f"/api/v1/attempts/{attempt}/submit").json()
    assert result["score"] is None and result["questions"][0]["points_awarded"] is None
    assert client.get(f"/api/v1/quizzes/{quiz.public_id}").json()["counted_percent"] is None
    quiz.due_at = timezone.now() - timedelta(minutes=1)
    quiz.save()
    later = client.get(f"/api/v1/attempts/{attempt}").json()
    assert Decimal(later["score"]) == Decimal("1.00")


@pytest.mark.parametrize(
    ("position", "response", "status", "code"),
    [
        (1, {"option": "tampered"}, 422, "invalid_answer"),
        (1, {"option": "oa", "more": 1}, 422, "invalid_answer"),
        (2, {"value": "NaN"}, 422, "invalid_answer"),
        (2, {"value": "-1e999"}, 422, "invalid_answer"),
        (2, {"value": 1e300}, 422, "invalid_answer"),
        (3, {"text": "x" * 20001}, 422, "invalid_answer"),
        (4, {"value": True}, 404, "unknown_question"),
        (0, {"value": True}, 404, "unknown_question"),
        (-1, {"value": True}, 404, "unknown_question"),
        (10**12, {"value": True}, 404, "unknown_question"),
    ],
)
def test_bad_answers_get_a_clear_4xx_and_nothing_is_written(
    quiz, learner, position, response, status, code
):
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    answer = put(client, attempt, position, response)
    assert answer.status_code == status, answer.content
    assert answer.json()["code"] == code
    assert not AttemptQuestion.objects.filter(saved_at__isnull=False).exists()


def test_malformed_bodies_are_refused(quiz, learner):
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    url = f"/api/v1/attempts/{attempt}/answers/1"
    assert client.put(url, data="{", content_type="application/json").status_code == 400
    assert client.put(url, data="[]", content_type="application/json").status_code == 422
    no_response = client.put(url, data="{}", content_type="application/json")
    assert no_response.status_code == 422
    assert not AttemptQuestion.objects.filter(saved_at__isnull=False).exists()


def test_answers_after_submit_or_after_the_time_limit_are_refused(quiz, learner):
    quiz.time_limit_minutes = 5
    quiz.save()
    client = client_for(learner)
    start_time = timezone.now()
    with time_machine.travel(start_time, tick=False):
        attempt = start(client, quiz)["public_id"]
        assert put(client, attempt, 1, right("single")).status_code == 200
    with time_machine.travel(start_time + timedelta(minutes=5, seconds=1), tick=False):
        late = put(client, attempt, 2, {"value": "3.14"})
        assert (late.status_code, late.json()["code"]) == (409, "time_over")
        submitted = client.post(f"/api/v1/attempts/{attempt}/submit").json()
    assert submitted["submitted_by_server"] and Decimal(submitted["score"]) == 1
    after = put(client, attempt, 1, {"option": "ob"})
    assert (after.status_code, after.json()["code"]) == (409, "attempt_submitted")
    assert AttemptQuestion.objects.get(position=1).response == right("single")
    assert AttemptQuestion.objects.get(position=2).response is None


def test_someone_elses_attempt_is_refused(quiz, learner):
    attempt = start(client_for(learner), quiz)["public_id"]
    other = client_for(learner_in(quiz.course))
    assert put(other, attempt, 1, right("single")).status_code == 403
    assert other.post(f"/api/v1/attempts/{attempt}/submit").status_code == 403
    assert other.get(f"/api/v1/attempts/{attempt}").status_code == 403
    assert Attempt.objects.get().status == "in_progress"


def test_no_attempts_left_and_closed_quiz(quiz, learner):
    client = client_for(learner)
    for _ in range(2):
        attempt = start(client, quiz)["public_id"]
        client.post(f"/api/v1/attempts/{attempt}/submit")
    refused = client.post(f"/api/v1/quizzes/{quiz.public_id}/attempts")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_attempts_left")
    assert client.get(f"/api/v1/quizzes/{quiz.public_id}").json()["can_start"] is False


def test_staff_list_review_and_grade_essays(quiz, learner):
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    put(client, attempt, 1, right("single"))
    put(client, attempt, 3, {"text": "An essay."})
    client.post(f"/api/v1/attempts/{attempt}/submit")
    staff = client_for(staff_in(quiz.course))
    rows = staff.get(f"/api/v1/quizzes/{quiz.public_id}/attempts").json()
    assert rows[0]["essays_pending"] == 1 and rows[0]["needs_grading"]
    review = staff.get(f"/api/v1/attempts/{attempt}").json()
    assert review["questions"][0]["correct"] == {"option": "oa"}
    url = f"/api/v1/attempts/{attempt}/answers/3/grade"
    for bad in ("5", "-1", "0.001"):
        refused = staff.post(url, data=json.dumps({"points": bad}), content_type="application/json")
        assert refused.status_code == 422, refused.content
    not_essay = staff.post(
        f"/api/v1/attempts/{attempt}/answers/1/grade",
        data=json.dumps({"points": "1"}),
        content_type="application/json",
    )
    assert not_essay.status_code == 422
    graded = staff.post(
        url,
        data=json.dumps({"points": "0.5", "feedback": "Short."}),
        content_type="application/json",
    )
    assert graded.status_code == 200 and graded.json()["points_awarded"] == "0.50"
    attempt_row = Attempt.objects.get()
    assert not attempt_row.needs_grading and attempt_row.score == Decimal("1.50")
    assert Grade.objects.get(user=learner).points == Decimal("5.00")


def test_autosave_and_submit_query_budgets(quiz, learner, django_assert_max_num_queries):
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    put(client, attempt, 1, right("single"))  # warm the session and caches
    with django_assert_max_num_queries(7):
        assert put(client, attempt, 2, {"value": "3"}).status_code == 200
    with django_assert_max_num_queries(35):
        assert client.post(f"/api/v1/attempts/{attempt}/submit").status_code == 200


# --- Concurrency -------------------------------------------------------------------------------


def _together(count: int, work) -> list:
    """Run ``work`` in ``count`` threads released at the same moment."""
    return together([work] * count)


POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions"),
    pytest.mark.django_db(transaction=True),
]


@POSTGRES_ONLY[0]
@POSTGRES_ONLY[1]
@POSTGRES_ONLY[2]
def test_two_concurrent_submits_grade_once():
    quiz = make_quiz(kinds=("single", "true_false"))
    learner = learner_in(quiz.course)
    client = client_for(learner)
    attempt = start(client, quiz)["public_id"]
    put(client, attempt, 1, right("single"))
    results = _together(2, lambda: client_for(learner).post(f"/api/v1/attempts/{attempt}/submit"))
    assert [r.status_code for r in results] == [200, 200], results
    assert len({r.json()["submitted_at"] for r in results}) == 1
    assert AuditEvent.objects.filter(action="quiz.attempt_submitted").count() == 1
    assert Grade.objects.get(user=learner).points == Decimal("5.00")


@POSTGRES_ONLY[0]
@POSTGRES_ONLY[1]
@POSTGRES_ONLY[2]
def test_concurrent_starts_make_one_attempt():
    quiz = make_quiz(attempts_allowed=3)
    learner = learner_in(quiz.course)
    results = _together(
        3, lambda: client_for(learner).post(f"/api/v1/quizzes/{quiz.public_id}/attempts")
    )
    assert all(r.status_code in (200, 201) for r in results), results
    assert len({r.json()["public_id"] for r in results}) == 1
    assert Attempt.objects.count() == 1


def test_submit_locks_the_attempt_row_first(quiz, learner):
    from syllabus.assessments.services_attempts import submit_attempt

    attempt = Attempt.objects.get(public_id=start(client_for(learner), quiz)["public_id"])
    with CaptureQueriesContext(connection) as queries:
        submit_attempt(user=learner, attempt=attempt)
    sql = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    first = next(s for s in sql if "assessments_attempt" in s)
    assert first.startswith("SELECT") and 'FROM "assessments_attempt"' in first
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in first
