"""Bulk enrolment from CSV: the parser (with property tests), the preview's per-row
outcomes, dry runs that write nothing, applying in one transaction, idempotent re-runs."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.accounts.models import Role, User
from syllabus.audit.models import AuditEvent
from syllabus.courses import csv_import
from syllabus.courses.models import Cohort, Course, CourseMembership, EnrolmentImport
from syllabus.courses.services import course_role_set
from syllabus.courses.services_enrolment import (
    EnrolmentError,
    end_of_day,
    import_apply,
    import_preview,
)
from tests.factories import UserFactory

MAX = 2048 * 1024

# --- The parser -----------------------------------------------------------------------------


def test_parses_commas_with_a_bom_and_every_column():
    data = "\ufeffEmail,Role,Cohort,Ends_at\r\nada@example.org,Learner, Morning ,2026-12-31\r\n"
    parsed = csv_import.parse(data.encode(), max_bytes=MAX)
    assert parsed.rows == [
        csv_import.Row(
            line=2,
            email="ada@example.org",
            role="learner",
            cohort="Morning",
            ends_at=date(2026, 12, 31),
        )
    ]
    assert parsed.warnings == []


def test_parses_semicolons_and_skips_blank_lines():
    data = b"email;cohort\n\nada@example.org;A\n;\nbob@example.org;B\n"
    parsed = csv_import.parse(data, max_bytes=MAX)
    assert [(r.line, r.email, r.cohort) for r in parsed.rows] == [
        (3, "ada@example.org", "A"),
        (5, "bob@example.org", "B"),
    ]


def test_row_errors_stay_on_their_rows():
    data = (
        "email,role,ends_at,notes\n"
        "not-an-email,,,\n"
        ",learner,,\n"
        "ada@example.org,,31/12/2026,\n"
        "bob@example.org,,,,surplus\n"
    )
    parsed = csv_import.parse(data.encode(), max_bytes=MAX)
    errors = [r.error for r in parsed.rows]
    assert errors[0].startswith("Bad email")
    assert errors[1] == "Bad email: the email is missing."
    assert errors[2].startswith("Bad date")
    assert errors[3].startswith("Too many values")
    assert parsed.warnings == ["Ignored an unknown column: notes."]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n \n", "empty"),
        (b"name,role\nada,learner\n", "missing_header"),
        (b"ada@example.org\n", "missing_header"),
        (b"email,email\nx@example.org,y@example.org\n", "bad_header"),
        ("email\nzoë@example.org\n".encode("latin-1"), "bad_encoding"),
        (b"email\x00\n", "bad_encoding"),
    ],
)
def test_file_level_problems_refuse_the_whole_file(data, code):
    with pytest.raises(csv_import.CsvError) as caught:
        csv_import.parse(data, max_bytes=MAX)
    assert caught.value.code == code


def test_size_and_row_limits():
    with pytest.raises(csv_import.CsvError) as caught:
        csv_import.parse(b"email\n" + b"a@example.org\n" * 100, max_bytes=1024)
    assert caught.value.code == "file_too_large"
    with pytest.raises(csv_import.CsvError) as caught:
        csv_import.parse(b"email\n" + b"a@example.org\n" * 4, max_bytes=MAX, max_rows=3)
    assert caught.value.code == "too_many_rows"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_crash_the_parser(data):
    try:
        parsed = csv_import.parse(data, max_bytes=MAX)
    except csv_import.CsvError as exc:
        assert exc.code and str(exc)
    else:
        assert all(isinstance(r, csv_import.Row) for r in parsed.rows)


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cell, min_size=0, max_size=6), max_size=25), st.sampled_from(",;"))
def test_every_data_line_gets_a_row_or_the_file_an_error(lines, delimiter):
    """Random rows under a valid header: each non-blank record is one row, valid or with
    an error saying why; nothing raises except a whole-file CsvError."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["email", "role", "cohort", "ends_at"])
    for cells in lines:
        writer.writerow(cells)
    try:
        parsed = csv_import.parse(out.getvalue().encode(), max_bytes=MAX)
    except csv_import.CsvError as exc:
        assert exc.code
        return
    records = [c for c in lines if any(v.strip() for v in c)]
    assert len(parsed.rows) == len(records)
    for row in parsed.rows:
        assert row.error or "@" in row.email


# --- Preview and apply ----------------------------------------------------------------------


@pytest.fixture
def course(db):
    return Course.objects.create(
        title="Chemistry", slug="chem", status=Course.Status.PUBLISHED, capacity=3
    )


@pytest.fixture
def teacher(course):
    user = UserFactory(email="teacher@example.org")
    course_role_set(actor=None, course=course, user=user, role=Role.objects.get(slug="instructor"))
    return user


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def outcomes(report):
    return [(r["line"], r["outcome"]) for r in report["rows"]]


@pytest.mark.django_db
def test_preview_lists_each_outcome_and_totals(course, teacher):
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    UserFactory(email="ada@example.org")
    bob = UserFactory(email="bob@example.org")
    UserFactory(email="cy@example.org")
    UserFactory(email="dee@example.org")
    course_role_set(actor=None, course=course, user=bob, role=Role.objects.get(slug="learner"))
    data = _csv(
        "email,role,cohort,ends_at",
        f"ADA@example.org,,Group A,{future}",  # will enrol (and create the cohort)
        "bob@example.org,,,",  # already enrolled, unchanged
        "teacher@example.org,instructor,Group A,",  # will update (cohort)
        "nobody@example.org,,,",  # unknown user
        "cy@example.org,dean,,",  # unknown role
        "ada@example.org,,,",  # duplicate
        "dee@example.org,,,2001-01-01",  # date in the past
        "bad,,,",  # bad email
    )
    imp, report = import_preview(actor=teacher, course=course, data=data, filename="x.csv")
    assert imp is not None and imp.status == EnrolmentImport.Status.PREVIEWED
    assert outcomes(report) == [
        (2, "enrol"),
        (3, "unchanged"),
        (4, "update"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
        (9, "error"),
    ]
    messages = [r["message"] for r in report["rows"]]
    assert "new cohort 'Group A'" in messages[0]
    assert messages[3].startswith("Unknown user")
    assert messages[4].startswith("Unknown role 'dean'")
    assert messages[5] == "Duplicate row: this email is already on line 2."
    assert "already passed" in messages[6]
    assert messages[7].startswith("Bad email")
    assert report["totals"] == {"enrol": 1, "update": 1, "unchanged": 1, "error": 5}
    # previewing changes nothing
    assert not Cohort.objects.exists()
    assert CourseMembership.objects.filter(course=course).count() == 2
    assert not AuditEvent.objects.filter(action="enrolment.import_applied").exists()


@pytest.mark.django_db
def test_dry_run_keeps_nothing(course, teacher):
    UserFactory(email="ada@example.org")
    imp, report = import_preview(
        actor=teacher, course=course, data=_csv("email", "ada@example.org"), dry_run=True
    )
    assert imp is None
    assert report["totals"]["enrol"] == 1
    assert not EnrolmentImport.objects.exists()
    assert CourseMembership.objects.filter(course=course).count() == 1


@pytest.mark.django_db
def test_apply_then_rerun_the_same_file_changes_nothing(course, teacher):
    future = timezone.localdate() + timedelta(days=30)
    for name in ("ada", "bob"):
        UserFactory(email=f"{name}@example.org")
    data = _csv(
        "email;role;cohort;ends_at",
        f"ada@example.org;learner;Group A;{future.isoformat()}",
        "bob@example.org;teaching_assistant;;",
        "ghost@example.org;;;",
    )
    imp, _ = import_preview(actor=teacher, course=course, data=data, filename="class.csv")
    assert imp is not None
    report = import_apply(actor=teacher, imp=imp)
    assert report["totals"] == {"enrol": 2, "update": 0, "unchanged": 0, "error": 1}
    ada = CourseMembership.objects.get(course=course, user__email="ada@example.org")
    assert ada.source == CourseMembership.Source.CSV
    assert ada.cohort is not None and ada.cohort.name == "Group A"
    assert ada.ends_at == end_of_day(future)
    bob = CourseMembership.objects.get(course=course, user__email="bob@example.org")
    assert bob.role.slug == "teaching_assistant"
    applied = AuditEvent.objects.get(action="enrolment.import_applied")
    assert applied.actor == teacher
    assert applied.details["enrol"] == 2 and applied.details["error"] == 1
    assert AuditEvent.objects.filter(action="enrolment.created", actor=teacher).count() == 1
    assert AuditEvent.objects.filter(action="cohort.created").count() == 1
    imp.refresh_from_db()
    assert imp.status == EnrolmentImport.Status.APPLIED and imp.applied_at

    with pytest.raises(EnrolmentError) as caught:
        import_apply(actor=teacher, imp=imp)
    assert caught.value.code == "already_applied"

    again, preview = import_preview(actor=teacher, course=course, data=data)
    assert preview["totals"] == {"enrol": 0, "update": 0, "unchanged": 2, "error": 1}
    before = AuditEvent.objects.exclude(action="enrolment.import_applied").count()
    rerun = import_apply(actor=teacher, imp=again)
    assert rerun["totals"]["enrol"] + rerun["totals"]["update"] == 0
    assert AuditEvent.objects.exclude(action="enrolment.import_applied").count() == before
    assert CourseMembership.objects.filter(course=course).count() == 3


@pytest.mark.django_db
def test_capacity_applies_to_rows_unless_overridden(course, teacher):
    emails = [UserFactory().email for _ in range(4)]
    data = _csv("email", *emails)
    _, report = import_preview(actor=teacher, course=course, data=data, dry_run=True)
    assert [r["outcome"] for r in report["rows"]] == ["enrol", "enrol", "enrol", "error"]
    assert "full" in report["rows"][3]["message"]
    imp, report = import_preview(actor=teacher, course=course, data=data, override_capacity=True)
    assert report["totals"]["enrol"] == 4
    import_apply(actor=teacher, imp=imp)
    assert CourseMembership.objects.filter(course=course, role__slug="learner").count() == 4


@pytest.mark.django_db
def test_apply_rechecks_rows_against_the_course_as_it_is_now(course, teacher):
    ada = UserFactory(email="ada@example.org")
    imp, _ = import_preview(actor=teacher, course=course, data=_csv("email", "ada@example.org"))
    ada.is_active = False
    ada.save()
    report = import_apply(actor=teacher, imp=imp)
    assert report["rows"][0]["outcome"] == "error"
    assert not CourseMembership.objects.filter(user=ada).exists()


@pytest.mark.django_db
def test_no_escalation_through_a_csv(course):
    manager = UserFactory(site_roles=["manager"])
    UserFactory(email="ada@example.org")
    _, report = import_preview(
        actor=manager, course=course, data=_csv("email,role", "ada@example.org,instructor")
    )
    assert report["rows"][0]["outcome"] == "error"
    assert "cannot make people Instructor" in report["rows"][0]["message"]


@pytest.mark.django_db
def test_file_errors_are_400_and_keep_nothing(course, teacher, settings):
    settings.UPLOAD_MAX_CSV_KB = 1
    for data, code in [
        (b"email\n" + b"a@example.org\n" * 200, "file_too_large"),
        ("email\nzoë@example.org\n".encode("utf-16"), "bad_encoding"),
    ]:
        with pytest.raises(EnrolmentError) as caught:
            import_preview(actor=teacher, course=course, data=data)
        assert (caught.value.code, caught.value.status) == (code, 400)
    assert not EnrolmentImport.objects.exists()


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["ada", "bob", "ghost", "bad", ""]), max_size=8))
def test_every_row_gets_an_outcome(course, teacher, names):
    for name in ("ada", "bob"):
        if not User.objects.filter(email=f"{name}@example.org").exists():
            UserFactory(email=f"{name}@example.org")
    lines = [f"{n}@example.org" if n not in ("bad", "") else n for n in names]
    _, report = import_preview(
        actor=teacher, course=course, data=_csv("email", *lines), dry_run=True
    )
    listed = [line for line in lines if line.strip()]
    assert len(report["rows"]) == len(listed)
    assert sum(report["totals"].values()) == len(listed)
    assert all(r["outcome"] in {"enrol", "unchanged", "update", "error"} for r in report["rows"])
    assert all(r["message"] for r in report["rows"])


@pytest.mark.django_db
def test_large_imports_are_applied_by_the_worker(
    course, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    from syllabus.courses import services_enrolment
    from syllabus.courses.services_enrolment import import_apply_or_queue, import_queued_at

    monkeypatch.setattr(services_enrolment, "IMPORT_INLINE_CHANGES", 1)
    emails = [UserFactory().email for _ in range(2)]
    imp, _ = import_preview(actor=teacher, course=course, data=_csv("email", *emails))
    assert imp is not None
    with django_capture_on_commit_callbacks() as queued:
        assert import_apply_or_queue(actor=teacher, imp=imp) is None
    imp.refresh_from_db()
    assert import_queued_at(imp) is not None
    with pytest.raises(EnrolmentError) as caught:
        import_apply_or_queue(actor=teacher, imp=imp)
    assert caught.value.code == "already_queued"
    assert not CourseMembership.objects.filter(user__email__in=emails).exists()
    for callback in queued:  # the worker runs the job
        callback()
    imp.refresh_from_db()
    assert imp.status == EnrolmentImport.Status.APPLIED and import_queued_at(imp) is None
    assert CourseMembership.objects.filter(user__email__in=emails).count() == 2
    assert AuditEvent.objects.get(action="enrolment.import_applied").actor == teacher


@pytest.mark.django_db
def test_a_queued_import_keeps_the_reason_it_failed(
    course, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    from syllabus.courses import services_enrolment
    from syllabus.courses.services_enrolment import import_apply_or_queue, import_queued_at

    monkeypatch.setattr(services_enrolment, "IMPORT_INLINE_CHANGES", 0)
    imp, _ = import_preview(actor=teacher, course=course, data=_csv("email", UserFactory().email))
    assert imp is not None
    with django_capture_on_commit_callbacks() as queued:
        import_apply_or_queue(actor=teacher, imp=imp)
    CourseMembership.objects.filter(user=teacher).delete()  # no longer teaches it
    for callback in queued:
        callback()
    imp.refresh_from_db()
    assert imp.status == EnrolmentImport.Status.PREVIEWED and import_queued_at(imp) is None
    assert "enrolment.manage" in imp.report["failed"]
