"""Assignment pages: the lesson panel, handing in, settings, the grading queue (with a
query budget), grading, extensions and files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from syllabus.assignments import services
from syllabus.assignments.models import Assignment, Extension, Submission
from syllabus.assignments.rubric import clean_rubric
from syllabus.assignments.tests.conftest import RUBRIC, enrol, make_assignment, pdf
from syllabus.communication.models import Notification
from syllabus.grades.models import Grade
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _lesson_url(assignment: Assignment) -> str:
    return reverse("learning:lesson", args=[assignment.lesson.public_id])


def test_the_lesson_panel_shows_a_learner_what_to_do(client, assignment, student):
    client.force_login(student)
    page = client.get(_lesson_url(assignment)).content.decode()
    assert "Write <strong>300 words</strong>." in page
    assert "10 points" in page
    assert "Late work is accepted with a penalty of 10% of the maximum" in page
    assert "You have not handed anything in yet." in page
    assert reverse("assignments:submit", args=[assignment.lesson.public_id]) in page


def test_the_lesson_panel_shows_the_grade_rubric_and_feedback(client, course, student, instructor):
    assignment = make_assignment(course, rubric=clean_rubric(RUBRIC))
    submission = services.submission_create(user=student, assignment=assignment, text="Mine")
    argument, style = assignment.rubric
    services.submission_grade(
        actor=instructor,
        submission=submission,
        levels={argument["id"]: argument["levels"][0]["id"], style["id"]: style["levels"][0]["id"]},
        feedback="Well **argued**.",
    )
    client.force_login(student)
    page = client.get(_lesson_url(assignment)).content.decode()
    assert "Grade: 10 of 10 points" in page
    assert '<th scope="row">Argument</th><td>Clear</td><td>6 of 6</td>' in page
    assert "Well <strong>argued</strong>." in page
    assert "Hand in a new version" in page


def test_the_lesson_panel_for_staff_links_to_grading(client, assignment, instructor):
    client.force_login(instructor)
    page = client.get(_lesson_url(assignment)).content.decode()
    assert reverse("assignments:submissions", args=[assignment.lesson.public_id]) in page
    assert reverse("assignments:edit", args=[assignment.lesson.public_id]) in page
    assert "0 learners handed in" in page


def test_an_extension_shows_as_the_learners_due_date(client, assignment, student, instructor):
    due = assignment.lesson.due_at + timedelta(days=3)
    services.extension_grant(actor=instructor, assignment=assignment, user=student, due_at=due)
    client.force_login(student)
    assert "(your extension)" in client.get(_lesson_url(assignment)).content.decode()


# --- Handing in --------------------------------------------------------------------------


def test_a_learner_hands_in_from_the_page(client, assignment, student):
    client.force_login(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": "My essay", "attachments": [pdf("a.pdf"), pdf("b.pdf")]})
    assert response.status_code == 302 and response["Location"] == _lesson_url(assignment)
    submission = Submission.objects.get()
    assert submission.files.count() == 2


def test_an_oversized_file_is_a_413_and_nothing_is_stored(
    client, assignment, student, settings, stored_files
):
    settings.ASSIGNMENT_MAX_FILE_MB = 1
    client.force_login(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    response = client.post(url, {"text": "x", "attachments": [pdf(size=1024 * 1024 + 1)]})
    assert response.status_code == 413
    page = response.content.decode()
    assert "each file may be at most 1 MB" in page
    assert 'aria-invalid="true"' in page
    assert not Submission.objects.exists() and stored_files() == set()


def test_a_wrong_type_is_a_400_and_an_empty_hand_in_too(client, assignment, student):
    client.force_login(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    response = client.post(url, {"attachments": [pdf("virus.exe")]})
    assert response.status_code == 400 and "not accepted here" in response.content.decode()
    response = client.post(url, {"text": ""})
    assert response.status_code == 400
    assert "Write your answer or attach a file." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_closed_assignment_says_so(client, course, student):
    assignment = make_assignment(
        course, due_at=timezone.now() - timedelta(days=1), late_policy="refuse"
    )
    client.force_login(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    assert "closed on" in client.get(url).content.decode()
    response = client.post(url, {"text": "late"})
    assert response.status_code == 400 and "closed on" in response.content.decode()
    assert not Submission.objects.exists()


def test_draft_lessons_are_hidden_from_learners(client, course, student):
    assignment = make_assignment(course, published=False)
    client.force_login(student)
    url = reverse("assignments:submit", args=[assignment.lesson.public_id])
    assert client.get(url).status_code == 404


# --- Settings ------------------------------------------------------------------------------


def test_settings_page_saves_settings_rubric_and_due_date(client, assignment, instructor):
    client.force_login(instructor)
    url = reverse("assignments:edit", args=[assignment.lesson.public_id])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "instructions": "New",
            "max_points": "10",
            "due_at": "2030-01-02T10:00",
            "accept_text": "on",
            "accept_files": "on",
            "allow_resubmission": "on",
            "late_policy": "cutoff",
            "penalty_percent_per_day": "10",
            "penalty_max_percent": "50",
            "cutoff_at": "2030-01-05T10:00",
            "grade_visibility": "always",
            "rubric": "Argument\n- 6: Clear\n- 0: Missing\nStyle\n- 4: Fluent",
        },
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.late_policy == "cutoff" and len(assignment.rubric) == 2
    assert assignment.lesson.due_at.year == 2030


def test_settings_errors_are_tied_to_their_fields(client, assignment, instructor):
    client.force_login(instructor)
    url = reverse("assignments:edit", args=[assignment.lesson.public_id])
    response = client.post(
        url,
        {"max_points": "10", "late_policy": "penalty", "accept_text": "on", "rubric": "- 5: x"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 1: a level must follow" in page
    assert 'aria-describedby="id_rubric_helptext id_rubric_error"' in page
    assignment.refresh_from_db()
    assert assignment.instructions == "Write **300 words**."


# --- Grading queue and grading -----------------------------------------------------------


def _hand_ins(course, count):
    assignment = make_assignment(course, title=f"Task {count}")
    for _ in range(count):
        learner = UserFactory()
        enrol(learner, course)
        services.submission_create(user=learner, assignment=assignment, text="x", files=[pdf()])
    return assignment


@pytest.mark.parametrize("view", ["queue", "submissions"])
def test_list_pages_use_the_same_number_of_queries_for_3_and_30_rows(
    client, course, instructor, django_assert_max_num_queries, view
):
    client.force_login(instructor)
    few = _hand_ins(course, 3)
    url = (
        reverse("assignments:queue", args=[course.public_id])
        if view == "queue"
        else reverse("assignments:submissions", args=[few.lesson.public_id])
    )
    client.get(url)  # warm the permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    many = _hand_ins(course, 27)
    if view == "submissions":
        Submission.objects.filter(assignment=many).update(assignment=few)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Grade<span") == 30


def test_the_queue_filters_and_is_oldest_first(client, course, instructor, student):
    assignment = make_assignment(course)
    other = UserFactory(full_name="Zed Late")
    enrol(other, course)
    services.submission_create(user=student, assignment=assignment, text="first")
    services.submission_create(user=other, assignment=assignment, text="second")
    client.force_login(instructor)
    url = reverse("assignments:queue", args=[course.public_id])
    page = client.get(url).content.decode()
    assert page.index("Lena Learner") < page.index("Zed Late")
    assert "Nothing is waiting" not in client.get(url).content.decode()
    assert "No submission matches" in client.get(url + "?status=graded").content.decode()
    assert client.get(url + "?status=bogus").status_code == 200


def test_a_teaching_assistant_grades_from_the_page(client, course, student, assistant):
    assignment = make_assignment(course, rubric=clean_rubric(RUBRIC))
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    argument, style = assignment.rubric
    client.force_login(assistant)
    url = reverse("assignments:grade", args=[submission.public_id])
    page = client.get(url).content.decode()
    assert "<legend>Argument:</legend>" in page
    assert page.index("<legend>Argument:</legend>") < page.index('name="feedback"')
    response = client.post(
        url,
        {
            f"level-{argument['id']}": argument["levels"][1]["id"],
            f"level-{style['id']}": style["levels"][0]["id"],
            "adjustment": "",
            "feedback": "Thin argument.",
            "next": "",
        },
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.final_points == Decimal("7")
    assert Grade.objects.get(user=student).points == Decimal("7")
    assert Notification.objects.filter(recipient=student).count() == 1


def test_grading_without_a_level_is_a_400_and_writes_nothing(client, course, student, instructor):
    assignment = make_assignment(course, rubric=clean_rubric(RUBRIC))
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    client.force_login(instructor)
    response = client.post(reverse("assignments:grade", args=[submission.public_id]), {})
    assert response.status_code == 400
    assert "Choose a level for “Argument”." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    submission.refresh_from_db()
    assert submission.graded_at is None


# --- Extensions and files ----------------------------------------------------------------


def test_extensions_page_grants_and_removes(client, assignment, student, instructor):
    client.force_login(instructor)
    url = reverse("assignments:extensions", args=[assignment.lesson.public_id])
    assert "No learner has an extension" in client.get(url).content.decode()
    response = client.post(
        url, {"learner": student.public_id, "due_at": "2100-01-01T10:00", "reason": "Ill"}
    )
    assert response.status_code == 302
    assert Extension.objects.get().reason == "Ill"
    remove = reverse(
        "assignments:extension_remove", args=[assignment.lesson.public_id, student.public_id]
    )
    assert "Remove Lena Learner&#x27;s extension?" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not Extension.objects.exists()
    response = client.post(url, {"learner": "usr_nobody", "due_at": "2100-01-01T10:00"})
    assert response.status_code == 400


def test_files_are_served_to_the_learner_and_graders_only(
    client, course, assignment, student, assistant
):
    submission = services.submission_create(user=student, assignment=assignment, files=[pdf()])
    url = reverse("assignments:file", args=[submission.files.get().public_id])
    for person in (student, assistant):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    classmate = UserFactory()
    enrol(classmate, course)
    client.force_login(classmate)
    assert client.get(url).status_code == 403


def test_an_unreleased_grade_is_not_shown_to_the_learner(client, course, student, instructor):
    assignment = make_assignment(course, grade_visibility="never")
    submission = services.submission_create(user=student, assignment=assignment, text="x")
    services.submission_grade(
        actor=instructor, submission=submission, points="8", feedback="Secret remark."
    )
    client.force_login(student)
    page = client.get(_lesson_url(assignment)).content.decode()
    assert "Status:</strong> graded." in page
    assert "Secret remark" not in page and "Grade: 8" not in page


def test_the_lesson_edit_page_links_to_the_assignment_settings(client, assignment, instructor):
    client.force_login(instructor)
    page = client.get(reverse("courses:lesson_edit", args=[assignment.lesson.public_id]))
    assert reverse("assignments:edit", args=[assignment.lesson.public_id]) in page.content.decode()
