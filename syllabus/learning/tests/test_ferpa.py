"""FERPA: directory opt-out withholds name and email from the roster (page, CSV, API)
for everyone but account administrators, and staff views of education records are
audited in the course access category."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client, override_settings

from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.learning.directory import WITHHELD, directory_opt_out_set, opted_out
from syllabus.learning.tests.conftest import enrol
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quiet(course):
    user = UserFactory(email="quiet@example.org", full_name="Quinn Quiet")
    enrol(user, course)
    directory_opt_out_set(user=user, opted_out=True)
    return user


def test_the_learner_chooses_on_their_directory_page(student):
    client = _client(student)
    page = client.get("/dashboard/directory/").content.decode()
    assert "are <strong>listed</strong>" in page
    response = client.post("/dashboard/directory/", {"directory": "withheld"})
    assert response.status_code == 302 and opted_out(student)
    event = AuditEvent.objects.get(action="directory.opted_out")
    assert event.actor == student and event.details["fields"] == ["full_name", "email"]
    bad = client.post("/dashboard/directory/", {"directory": "maybe"})
    assert bad.status_code == 400 and "Choose one" in bad.content.decode()
    assert opted_out(student)
    client.post("/dashboard/directory/", {"directory": "listed"})
    assert not opted_out(student)
    assert AuditEvent.objects.filter(action="directory.opted_in").count() == 1
    # Saving the same choice again changes nothing and records nothing.
    client.post("/dashboard/directory/", {"directory": "listed"})
    assert AuditEvent.objects.filter(action__startswith="directory.").count() == 2


def test_roster_page_withholds_opted_out_learners_from_staff(teacher, student, quiet, course):
    page = _client(teacher).get(f"/learn/course/{course.public_id}/roster/").content.decode()
    assert "Sam Student" in page and "student@example.org" in page
    assert "Quinn Quiet" not in page and "quiet@example.org" not in page
    assert WITHHELD in page and quiet.public_id in page


def test_account_administrators_still_see_directory_fields(student, quiet, course):
    admin = UserFactory(site_roles=["admin"])
    page = _client(admin).get(f"/learn/course/{course.public_id}/roster/").content.decode()
    assert "Quinn Quiet" in page and "quiet@example.org" in page


def test_roster_api_withholds_them_too(teacher, student, quiet, course):
    client = _client(teacher)
    rows = client.get(f"/api/v1/courses/{course.public_id}/roster").json()["items"]
    by_id = {row["user_id"]: row for row in rows}
    assert by_id[quiet.public_id]["email"] == by_id[quiet.public_id]["full_name"] == ""
    assert by_id[quiet.public_id]["directory_withheld"] is True
    assert by_id[student.public_id]["email"] == "student@example.org"
    assert by_id[student.public_id]["directory_withheld"] is False

    # Only the configured fields are withheld: here the name stays and the email goes.
    with override_settings(DIRECTORY_FIELDS=["email"]):
        rows = client.get(f"/api/v1/courses/{course.public_id}/roster").json()["items"]
    quiet_row = next(r for r in rows if r["user_id"] == quiet.public_id)
    assert (quiet_row["full_name"], quiet_row["email"]) == ("Quinn Quiet", "")


def test_administrators_csv_export_keeps_directory_fields(student, quiet, course):
    admin = UserFactory(site_roles=["admin"])  # user.manage and export.run
    exporter = _client(admin)
    mark_recent_mfa(exporter, admin, method="password")
    response = exporter.get(f"/learn/course/{course.public_id}/roster.csv")
    body = b"".join(response.streaming_content).decode()
    assert "quiet@example.org" in body and "Quinn Quiet" in body


def test_csv_written_for_staff_without_user_manage(teacher, student, quiet, course):
    from syllabus.learning.exports import roster_csv

    lines, count = roster_csv(actor=teacher, course=course)
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    assert count == 2
    quiet_row = next(r for r in rows if r["email"] == WITHHELD)
    assert quiet_row["full_name"] == WITHHELD
    assert any(r["email"] == "student@example.org" for r in rows)


def test_staff_views_of_records_are_audited_as_course_access(teacher, student, course):
    client = _client(teacher)
    client.get(f"/learn/course/{course.public_id}/roster/")
    client.get(f"/api/v1/courses/{course.public_id}/roster")
    events = AuditEvent.objects.filter(action="records.viewed").order_by("id")
    assert [e.category for e in events] == ["course_access", "course_access"]
    assert [e.details["records"] for e in events] == ["roster", "roster"]
    assert all(e.actor == teacher and e.details["course"] == course.public_id for e in events)


def test_unknown_directory_fields_stop_start_up(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "syllabus.config.settings",
            "SYLLABUS_DEBUG": "true",
            "SYLLABUS_DATA_DIR": str(tmp_path),
            "SYLLABUS_DIRECTORY_FIELDS": "email,phone",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SYLLABUS_DIRECTORY_FIELDS may list full_name and email; got phone." in result.stderr
