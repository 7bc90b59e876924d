"""Gradebook pages: the grid (query budget, htmx entry), overrides with a reason, set-up,
deleting items with confirmation, CSV export (MFA, audit) and import (preview, all or
nothing), and the learners' pages (unreleased grades hidden)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.grades import services
from syllabus.grades.models import Grade, GradebookSettings, GradeCategory, GradeItem
from syllabus.grades.tests.conftest import enrol, make_item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name, *args):
    return reverse(f"grades:{name}", args=args)


def test_gradebook_shows_totals_letters_and_overrides(course, instructor, student, other_student):
    quizzes = GradeCategory.objects.create(course=course, name="Quizzes", weight=40)
    project = GradeCategory.objects.create(course=course, name="Project", weight=60)
    quiz = make_item(course, title="Quiz 1", max_points="10", category=quizzes)
    report = make_item(course, title="Report", max_points="50", category=project)
    services.grade_enter(actor=instructor, item=quiz, learner=student, points="7")
    services.grade_enter(actor=instructor, item=report, learner=student, points="45")
    services.grade_override(
        actor=instructor, item=quiz, learner=student, points="9", reason="Misread answer"
    )
    html = _client(instructor).get(_url("gradebook", course.public_id)).content.decode()
    # (40 * 90 + 60 * 90) / 100 = 90 -> A
    assert "90.00" in html and ">A<" in html
    assert "Overridden (given 7.00)" in html
    assert "Olga Other" in html  # a learner without grades has a row
    assert html.count("<h1>") == 1
    assert "Work not graded yet is left out until it is graded" in html


def test_gradebook_query_count_does_not_grow_with_learners(
    course, instructor, django_assert_max_num_queries
):
    items = [make_item(course, title=f"Item {n}") for n in range(3)]
    client = _client(instructor)

    def add_learners(count):
        for _ in range(count):
            learner = UserFactory()
            enrol(learner, course)
            for item in items:
                Grade.objects.create(item=item, user=learner, course=course, points=D("50"))

    add_learners(3)
    client.get(_url("gradebook", course.public_id))  # warm per-user caches
    with django_assert_max_num_queries(50) as few:
        assert client.get(_url("gradebook", course.public_id)).status_code == 200
    add_learners(27)
    with django_assert_max_num_queries(50) as many:
        assert client.get(_url("gradebook", course.public_id)).status_code == 200
    assert len(few) == len(many)


def test_gradebook_needs_grade_view(course, student, instructor):
    assert _client(student).get(_url("gradebook", course.public_id)).status_code == 403
    auditor = UserFactory(site_roles=["auditor"])
    html = _client(auditor).get(_url("gradebook", course.public_id)).content.decode()
    assert "Gradebook" in html and "Override" not in html  # read only


def test_htmx_cell_entry_returns_the_row_with_new_totals(course, instructor, student):
    item = make_item(course, title="Participation", max_points="10")
    client = _client(instructor)
    url = _url("cell", item.public_id, student.public_id)
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert 'name="points"' in form.content.decode() and "<html" not in form.content.decode()
    response = client.post(url, {"points": "8.5"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith("<tr")
    assert "8.50" in html and "85.00" in html
    assert Grade.objects.get(item=item, user=student).points == D("8.5")
    bad = client.post(url, {"points": "12"}, HTTP_HX_REQUEST="true")
    assert "Points must be between 0 and 10.00" in bad.content.decode()
    assert 'aria-invalid="true"' in bad.content.decode()
    assert Grade.objects.get(item=item, user=student).points == D("8.5")


def test_cell_entry_without_javascript_redirects(course, instructor, student):
    item = make_item(course, max_points="10")
    client = _client(instructor)
    url = _url("cell", item.public_id, student.public_id)
    assert client.get(url).status_code == 200
    response = client.post(url, {"points": "3"})
    assert response.status_code == 302
    assert Grade.objects.get(item=item, user=student).points == 3


def test_cells_refuse_source_items_and_strangers(course, instructor, student):
    quiz = services.source_item_sync(
        course=course, kind="quiz", source_id=1, title="Quiz", max_points=D("10")
    )
    client = _client(instructor)
    assert (
        client.post(_url("cell", quiz.public_id, student.public_id), {"points": "1"}).status_code
        == 403
    )
    manual = make_item(course)
    stranger = UserFactory()
    assert client.get(_url("cell", manual.public_id, stranger.public_id)).status_code == 404
    assert not Grade.objects.exists()


def test_override_page_needs_a_reason_and_shows_history(course, instructor, student):
    item = services.source_item_sync(
        course=course, kind="assignment", source_id=4, title="Essay", max_points=D("20")
    )
    services.source_grade_record(kind="assignment", source_id=4, user=student, points=D("12"))
    client = _client(instructor)
    url = _url("override", item.public_id, student.public_id)
    response = client.post(url, {"points": "15", "reason": ""})
    assert response.status_code == 400
    assert (
        'aria-describedby="id_reason_error' in response.content.decode()
        or "id_reason_error" in response.content.decode()
    )
    assert Grade.objects.get(item=item).override_points is None
    response = client.post(url, {"points": "15", "reason": "Rubric line 3 misapplied"})
    assert response.status_code == 302
    assert Grade.objects.get(item=item).effective_points == 15
    html = client.get(url).content.decode()
    assert "Rubric line 3 misapplied" in html and "Remove override" in html
    client.post(url, {"remove": "1", "remove_reason": "Agreed with the grader"})
    assert Grade.objects.get(item=item).override_points is None
    assert AuditEvent.objects.filter(action="grade.override_removed").count() == 1


def test_setup_pages_change_scale_categories_and_items(course, instructor, student):
    client = _client(instructor)
    assert client.get(_url("setup", course.public_id)).status_code == 200
    response = client.post(
        _url("scale", course.public_id), {"scale": "P 50\nF 0", "uncategorised_weight": ""}
    )
    assert response.status_code == 302
    assert GradebookSettings.objects.get(course=course).letter_scale == [
        ["P", "50.00"],
        ["F", "0.00"],
    ]
    bad = client.post(_url("scale", course.public_id), {"scale": "A 90\nB 95"})
    assert bad.status_code == 400 and "start at 0" in bad.content.decode()
    client.post(_url("category_new", course.public_id), {"name": "Labs", "weight": "30"})
    labs = GradeCategory.objects.get(course=course)
    assert (
        client.post(
            _url("category_new", course.public_id), {"name": "labs", "weight": "1"}
        ).status_code
        == 400
    )
    client.post(_url("category_edit", labs.public_id), {"name": "Labs", "weight": "35"})
    labs.refresh_from_db()
    assert labs.weight == 35
    response = client.post(
        _url("item_new", course.public_id),
        {"title": "Lab book", "max_points": "20", "category": labs.pk, "counts": "on",
         "learner_visibility": "always"},
    )  # fmt: skip
    assert response.status_code == 302
    item = GradeItem.objects.get(title="Lab book")
    assert item.category == labs
    bad = client.post(
        _url("item_new", course.public_id),
        {"title": "Later", "max_points": "20", "learner_visibility": "after"},
    )
    assert bad.status_code == 400 and not GradeItem.objects.filter(title="Later").exists()
    client.post(_url("category_delete", labs.public_id))
    item.refresh_from_db()
    assert item.category is None


def test_deleting_an_item_with_grades_needs_confirmation(course, instructor, student):
    item = make_item(course, title="Poster")
    services.grade_enter(actor=instructor, item=item, learner=student, points="50")
    client = _client(instructor)
    page = client.get(_url("item_delete", item.public_id)).content.decode()
    assert "1 learner has a grade" in page
    refused = client.post(_url("item_delete", item.public_id), {})
    assert refused.status_code == 400 and GradeItem.objects.filter(pk=item.pk).exists()
    client.post(_url("item_delete", item.public_id), {"confirm": "on"})
    assert not GradeItem.objects.filter(pk=item.pk).exists()


# --- Export ---------------------------------------------------------------------------------


def test_export_needs_export_run_and_recent_mfa_and_is_audited(course, instructor, student):
    item = make_item(course, title="=SUM(A1)", max_points="10")
    services.grade_enter(actor=instructor, item=item, learner=student, points="6")
    client = _client(instructor)
    mark_recent_mfa(client, instructor, method="password")
    assert client.get(_url("export", course.public_id)).status_code == 403  # no export.run
    admin = UserFactory(site_roles=["admin"])
    client = _client(admin)
    response = client.get(_url("export", course.public_id))
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not AuditEvent.objects.filter(action="export.run").exists()
    mark_recent_mfa(client, admin, method="password")
    response = client.get(_url("export", course.public_id))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0:2] == ["email", "full_name"]
    assert rows[0][2].startswith("'=SUM(A1)")  # formula neutralised
    assert rows[1] == ["sam@example.org", "Sam Student", "6.00", "60.00", "60.00", "D"]
    event = AuditEvent.objects.get(action="export.run")
    assert event.details["export"] == "gradebook" and event.details["rows"] == 1


# --- Import ---------------------------------------------------------------------------------


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("grades.csv", text.encode(), content_type="text/csv")


def test_import_previews_then_applies_all_rows_once(course, instructor, student, other_student):
    item = make_item(course, title="Oral exam", max_points="20")
    client = _client(instructor)
    text = (
        f"email,item,points\nsam@example.org,Oral exam,18\nOLGA@example.org,{item.public_id},12.5\n"
    )
    preview = client.post(_url("import", course.public_id), {"file": _upload(text)})
    html = preview.content.decode()
    assert preview.status_code == 200 and "2 grades to set" in html
    assert not Grade.objects.exists()
    applied = client.post(_url("import_apply", course.public_id), {"csv": text})
    assert applied.status_code == 302
    assert {g.user.email: g.points for g in Grade.objects.select_related("user")} == {
        "sam@example.org": D("18"),
        "olga@example.org": D("12.5"),
    }
    client.post(_url("import_apply", course.public_id), {"csv": text})  # idempotent
    assert Grade.objects.count() == 2
    events = AuditEvent.objects.filter(action="grade.import_applied").order_by("pk")
    assert [(e.details["updated"], e.details["unchanged"]) for e in events] == [(2, 0), (0, 2)]


def test_import_with_an_error_row_writes_nothing(course, instructor, student):
    make_item(course, title="Oral exam", max_points="20")
    quiz = services.source_item_sync(
        course=course, kind="quiz", source_id=9, title="Quiz", max_points=D("5")
    )
    outsider = UserFactory(email="out@example.org")
    text = (
        "email,item,points\n"
        "sam@example.org,Oral exam,18\n"
        "nobody@example.org,Oral exam,3\n"
        f"{outsider.email},Oral exam,3\n"
        "sam@example.org,Missing item,3\n"
        "sam@example.org,Quiz,3\n"
        "sam@example.org,Oral exam,lots\n"
        "sam@example.org,Oral exam,21\n"
    )
    client = _client(instructor)
    preview = client.post(_url("import", course.public_id), {"file": _upload(text)})
    html = preview.content.decode()
    assert preview.status_code == 400
    for message in (
        "Unknown learner",
        "Not enrolled",
        "Unknown item",
        "Only manual items",
        "listed twice",
    ):
        assert message in html, message
    assert "Apply the import" not in html
    rejected = client.post(_url("import_apply", course.public_id), {"csv": text})
    assert rejected.status_code == 400 and "nothing was imported" in rejected.content.decode()
    assert not Grade.objects.exists()
    assert not AuditEvent.objects.filter(action="grade.import_applied").exists()
    assert quiz.grades.count() == 0


def test_import_refuses_files_that_are_not_csv(course, instructor):
    client = _client(instructor)
    response = client.post(
        _url("import", course.public_id),
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")},
    )
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    response = client.post(_url("import", course.public_id), {"file": _upload("name,score\nx,1\n")})
    assert (
        response.status_code == 400 and "missing: email, item, points" in response.content.decode()
    )


# --- Learners -------------------------------------------------------------------------------


def test_my_grades_hide_unreleased_grades(course, instructor, student):
    shown = make_item(course, title="Visible work", max_points="10")
    later = make_item(
        course,
        title="Final exam",
        max_points="10",
        learner_visibility="after",
        learner_visible_from=timezone.now() + timedelta(days=3),
    )
    secret = make_item(course, title="Staff note", max_points="10", learner_visibility="never")
    services.grade_enter(actor=instructor, item=shown, learner=student, points="8")
    services.grade_enter(actor=instructor, item=later, learner=student, points="2")
    services.grade_enter(actor=instructor, item=secret, learner=student, points="0")
    client = _client(student)
    listing = client.get(_url("mine")).content.decode()
    assert "Oceanography" in listing and "80.00 %" in listing  # only the released grade
    detail = client.get(_url("mine_course", course.public_id)).content.decode()
    assert detail.count("Not released yet") == 2
    assert "2.00" not in detail.replace("8.00", "")
    assert "80.00 %" in detail and "(B)" in detail


def test_my_grades_course_page_is_for_its_learners(course, instructor, outsider):
    assert _client(outsider).get(_url("mine_course", course.public_id)).status_code == 403
    empty = _client(outsider).get(_url("mine")).content.decode()
    assert "not enrolled in any course yet" in empty


def test_a_grade_shows_to_the_learner_from_its_release_date(course, instructor, student):
    release = timezone.now() + timedelta(days=2)
    item = make_item(
        course,
        title="Midterm",
        max_points="10",
        learner_visibility="after",
        learner_visible_from=release,
    )
    services.grade_enter(actor=instructor, item=item, learner=student, points="7")
    client = _client(student)
    before = client.get(_url("mine_course", course.public_id)).content.decode()
    assert "Not released yet" in before and "no grade yet" in before
    with time_machine.travel(release + timedelta(minutes=1)):
        # a fresh sign-in: the first session has expired two days later
        after = _client(student).get(_url("mine_course", course.public_id)).content.decode()
    assert "Not released yet" not in after and "70.00 %" in after


def test_quiz_items_offer_only_category_and_counts(course, instructor):
    quiz = services.source_item_sync(
        course=course, kind="quiz", source_id=3, title="Quiz", max_points=D("10")
    )
    category = GradeCategory.objects.create(course=course, name="Quizzes", weight=1)
    client = _client(instructor)
    page = client.get(_url("item_edit", quiz.public_id)).content.decode()
    assert 'name="category"' in page and 'name="title"' not in page
    response = client.post(
        _url("item_edit", quiz.public_id), {"category": category.pk, "title": "Hacked"}
    )
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.category, quiz.title, quiz.counts) == (category, "Quiz", False)
    assert client.get(_url("item_delete", quiz.public_id)).status_code == 200
    refused = client.post(_url("item_delete", quiz.public_id), {"confirm": "on"})
    assert refused.status_code == 400 and GradeItem.objects.filter(pk=quiz.pk).exists()


def test_applying_a_tampered_import_is_refused(course, instructor):
    client = _client(instructor)
    response = client.post(_url("import_apply", course.public_id), {"csv": "not,a,grades file"})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="grade.import_applied").exists()
    page = client.get(response["Location"]).content.decode()
    assert "missing: email, item, points" in page
