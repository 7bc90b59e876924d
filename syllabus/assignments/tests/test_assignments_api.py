"""The assignments API: settings and rubric, multipart hand-ins and their refusals,
the grading queue, grading and extensions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from syllabus.assignments import services
from syllabus.assignments.models import Extension, Submission
from syllabus.assignments.rubric import clean_rubric
from syllabus.assignments.tests.conftest import RUBRIC, enrol, make_assignment, pdf, zip_bomb
from syllabus.grades.models import Grade
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _base(assignment) -> str:
    return f"/api/v1/lessons/{assignment.lesson.public_id}/assignment"


def test_a_learner_reads_the_assignment_with_their_dates(assignment, student, instructor):
    due = assignment.lesson.due_at + timedelta(days=2)
    services.extension_grant(actor=instructor, assignment=assignment, user=student, due_at=due)
    body = _client(student).get(_base(assignment)).json()
    assert body["max_points"] == "10.00" and body["late_policy"] == "penalty"
    assert body["publish_problems"] is None
    assert body["mine"]["extended"] is True and body["mine"]["can_submit"] is True
    assert body["mine"]["submissions"] == []
    staff = _client(instructor).get(_base(assignment)).json()
    assert staff["mine"] is None and staff["publish_problems"] == []


def test_patch_changes_settings_and_the_rubric(assignment, instructor):
    client = _client(instructor)
    response = client.patch(
        _base(assignment),
        {
            "instructions": "New",
            "late_policy": "cutoff",
            "cutoff_at": (assignment.lesson.due_at + timedelta(days=2)).isoformat(),
            "rubric": RUBRIC,
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [c["title"] for c in body["rubric"]] == ["Argument", "Style"]
    assert body["rubric"][0]["levels"][0]["points"] == "6.00"
    response = client.patch(
        _base(assignment), {"clear_due_at": True}, content_type="application/json"
    )
    assert response.json()["due_at"] is None


def test_patch_refuses_a_rubric_that_does_not_match_the_maximum(assignment, instructor):
    response = _client(instructor).patch(
        _base(assignment),
        {"rubric": [{"title": "A", "levels": [{"title": "x", "points": 3}]}]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and "add up to 3" in response.json()["detail"]
    assignment.refresh_from_db()
    assert assignment.rubric == []


def test_a_learner_hands_in_by_multipart(assignment, student):
    client = _client(student)
    response = client.post(
        f"{_base(assignment)}/submissions", {"text": "Mine", "files": [pdf("a.pdf"), pdf("b.pdf")]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1 and [f["name"] for f in body["files"]] == ["a.pdf", "b.pdf"]
    file_url = body["files"][0]["url"]
    download = client.get(file_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(f"/api/v1/submissions/{body['public_id']}").json()["grade"] is None


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (lambda: {"files": [pdf(size=2 * 1024 * 1024)]}, 413, "upload_too_large"),
        (lambda: {"files": [pdf("x.exe")]}, 400, "upload_type"),
        (lambda: {"files": [pdf("x.docx")]}, 400, "upload_content"),
        (lambda: {"files": [zip_bomb()]}, 400, "upload_zip_bomb"),
        (
            lambda: {"files": [pdf("1.pdf"), pdf("2.pdf"), pdf("3.pdf")]},
            400,
            "upload_too_many_files",
        ),
        (lambda: {"text": ""}, 400, "empty"),
    ],
)
def test_refused_hand_ins_answer_4xx_and_store_nothing(
    assignment, student, settings, stored_files, data, status, code
):
    settings.ASSIGNMENT_MAX_FILE_MB = 1
    settings.ASSIGNMENT_MAX_FILES = 2
    response = _client(student).post(f"{_base(assignment)}/submissions", data())
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert not Submission.objects.exists() and stored_files() == set()


def test_a_json_body_is_refused(assignment, student):
    response = _client(student).post(
        f"{_base(assignment)}/submissions", {"text": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and "multipart" in response.json()["detail"]


def test_a_closed_assignment_answers_422_closed(course, student):
    assignment = make_assignment(
        course, due_at=timezone.now() - timedelta(days=1), late_policy="refuse"
    )
    response = _client(student).post(f"{_base(assignment)}/submissions", {"text": "late"})
    assert response.status_code == 422 and response.json()["code"] == "closed"


def test_queue_and_grading(course, student, assistant):
    assignment = make_assignment(course, rubric=clean_rubric(RUBRIC))
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    client = _client(assistant)
    queue = client.get(f"/api/v1/courses/{course.public_id}/grading-queue").json()
    assert queue["count"] == 1 and queue["items"][0]["public_id"] == submission.public_id
    argument, style = assignment.rubric
    response = client.post(
        f"/api/v1/submissions/{submission.public_id}/grade",
        {
            "levels": {
                argument["id"]: argument["levels"][0]["id"],
                style["id"]: style["levels"][0]["id"],
            },
            "adjustment": "-1",
            "feedback": "Good.",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    grade = response.json()["grade"]
    assert grade["final_points"] == "9.00" and len(grade["rubric"]) == 2
    assert Grade.objects.get(user=student).points == Decimal("9")
    assert client.get(f"/api/v1/courses/{course.public_id}/grading-queue").json()["count"] == 0
    graded = client.get(f"/api/v1/courses/{course.public_id}/grading-queue?status=graded")
    assert graded.json()["count"] == 1
    assert (
        client.get(f"/api/v1/courses/{course.public_id}/grading-queue?status=x").status_code == 422
    )
    # the learner sees the grade
    mine = _client(student).get(f"/api/v1/submissions/{submission.public_id}").json()
    assert mine["grade"]["feedback_html"] == "<p>Good.</p>\n"


def test_bad_grades_are_422_and_write_nothing(course, student, instructor):
    assignment = make_assignment(course)
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    response = _client(instructor).post(
        f"/api/v1/submissions/{submission.public_id}/grade",
        {"points": "12"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "between 0 and 10" in response.json()["detail"]
    assert not Grade.objects.exists()


def test_extensions_by_api(assignment, student, assistant):
    client = _client(assistant)
    url = f"{_base(assignment)}/extensions/{student.public_id}"
    response = client.put(
        url, {"due_at": "2100-01-01T00:00:00Z", "reason": "Ill"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["reason"] == "Ill"
    assert Extension.objects.count() == 1
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    outsider = UserFactory()
    response = client.put(
        f"{_base(assignment)}/extensions/{outsider.public_id}",
        {"due_at": "2100-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_submission_list_queries_do_not_grow_with_rows(
    course, instructor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assignment = make_assignment(course)

    def hand_in(count):
        for _ in range(count):
            learner = UserFactory()
            enrol(learner, course)
            services.submission_create(user=learner, assignment=assignment, files=[pdf()])

    client = _client(instructor)
    url = f"{_base(assignment)}/submissions"
    hand_in(3)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).json()["count"] == 3
    hand_in(27)
    with django_assert_max_num_queries(len(small)):
        assert client.get(url).json()["count"] == 30


def test_an_unreleased_grade_is_hidden_from_the_learner_not_from_graders(
    course, student, instructor
):
    assignment = make_assignment(course)
    patch = _client(instructor).patch(
        _base(assignment),
        {"grade_visibility": "after", "grade_visible_from": "2100-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert patch.status_code == 200 and patch.json()["grade_visibility"] == "after"
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    services.submission_grade(actor=instructor, submission=submission, points="8")
    url = f"/api/v1/submissions/{submission.public_id}"
    assert _client(student).get(url).json()["grade"] is None
    assert _client(student).get(_base(assignment)).json()["mine"]["submissions"][0]["grade"] is None
    assert _client(instructor).get(url).json()["grade"]["final_points"] == "8.00"
