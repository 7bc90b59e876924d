"""Issuing on completion (signal -> job -> service), idempotency, the PDF, revocation,
reissue and the course settings."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from syllabus.audit.models import AuditEvent
from syllabus.certificates import services
from syllabus.certificates.models import Certificate, CertificateSettings
from syllabus.certificates.services import (
    certificate_issue,
    certificate_issue_for_completion,
    certificate_reissue,
    certificate_render_pdf,
    certificate_revoke,
    certificate_settings_update,
    learner_display_name,
)
from syllabus.certificates.tasks import certificate_issue_task
from syllabus.communication.models import Notification
from syllabus.learning.models import CourseProgress
from syllabus.learning.signals import course_completed

from .conftest import complete_course, enrol, make_course

pytestmark = pytest.mark.django_db


def _pdf_text(certificate: Certificate) -> tuple[bytes, str, PdfReader]:
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        data = handle.read()
    reader = PdfReader(io.BytesIO(data))
    return data, "\n".join(page.extract_text() for page in reader.pages), reader


def test_completing_a_course_issues_a_certificate_with_its_pdf(
    learner, course, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)
    # then
    certificate = Certificate.objects.get(user=learner, course=course)
    progress = CourseProgress.objects.get(user=learner, course=course)
    assert certificate.completed_at == progress.completed_at
    assert certificate.learner_name == "Lena Löwe"
    assert certificate.course_title == "Tides and the shore"
    assert certificate.expires_at is None
    assert certificate.status_at(timezone.now()) == Certificate.Status.VALID
    assert certificate.pdf.name == f"certificates/{certificate.public_id}.pdf"
    event = AuditEvent.objects.get(action="certificate.issued")
    assert event.details["code"] == certificate.code
    assert event.actor is None  # the system issued it
    notification = Notification.objects.get(recipient=learner, kind="certificate")
    assert certificate.code in notification.body
    assert notification.url == "/certificates/"


def test_the_pdf_is_a4_landscape_with_name_course_code_and_verification_url(certificate, settings):
    settings.SITE_URL = "https://learn.example.edu"
    certificate_render_pdf(certificate=certificate)
    data, text, reader = _pdf_text(certificate)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    assert "Lena Löwe" in text
    assert "Tides and the shore" in text
    assert certificate.code in text
    assert f"https://learn.example.edu/certificates/verify/{certificate.code}/" in text
    assert "Does not expire" in text


def test_the_pdf_shows_the_expiry_when_the_course_sets_one(learner, course, instructor):
    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=365)
    complete_course(learner, course)
    certificate = certificate_issue_for_completion(user=learner, course=course)
    assert certificate is not None
    _, text, _ = _pdf_text(certificate)
    assert "Valid until" in text


def test_the_job_running_twice_issues_one_certificate(certificate, learner, course):
    pdf_before = certificate.pdf.name
    # when: the job runs again (a retried or duplicated job)
    certificate_issue_task(learner.pk, course.pk)
    certificate_issue_task(learner.pk, course.pk)
    # then
    assert Certificate.objects.filter(user=learner, course=course).count() == 1
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1
    assert Notification.objects.filter(recipient=learner, kind="certificate").count() == 1
    assert Certificate.objects.get(pk=certificate.pk).pdf.name == pdf_before


def test_a_worker_killed_before_the_pdf_is_stored_draws_it_on_the_next_run(
    learner, course, monkeypatch
):
    complete_course(learner, course)

    def killed(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "certificate_render_pdf", killed)
    with pytest.raises(SystemExit):
        certificate_issue_task.call_local(learner.pk, course.pk)
    certificate = Certificate.objects.get(user=learner, course=course)
    assert not certificate.pdf  # issued and committed, no PDF yet
    monkeypatch.undo()
    # when: the job runs again
    certificate_issue_task.call_local(learner.pk, course.pk)
    # then: the same certificate, now with its PDF
    again = Certificate.objects.get(user=learner, course=course)
    assert again.pk == certificate.pk
    assert again.pdf and default_storage.exists(again.pdf.name)
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1


def test_a_stale_partial_pdf_is_replaced(certificate):
    default_storage.delete(certificate.pdf.name)
    with default_storage.open(certificate.pdf.name, "wb") as handle:
        handle.write(b"%PDF-1.4 truncated")
    certificate_render_pdf(certificate=certificate)
    assert certificate.pdf.name == f"certificates/{certificate.public_id}.pdf"
    data, _, _ = _pdf_text(certificate)
    assert len(data) > 1000


def test_the_signal_queues_the_job_which_issues_once(learner, course):
    """The receiver is connected in apps.ready: sending the signal runs the job (inline)."""
    complete_course(learner, course)  # on_commit not run: nothing issued yet
    assert not Certificate.objects.exists()
    progress = CourseProgress.objects.get(user=learner, course=course)
    for _ in range(2):
        course_completed.send(
            sender=CourseProgress, user=learner, course=course, completed_at=progress.completed_at
        )
    assert Certificate.objects.filter(user=learner, course=course).count() == 1


def test_issuing_writes_its_audit_event_as_the_transactions_last_step(learner, course):
    """The audit chain's lock is held from the event's insert to the commit, so the event
    goes in after the certificate and the notification (the job worker runs at a low CPU
    priority: every other writer of the chain would wait on it otherwise)."""
    complete_course(learner, course)
    progress = CourseProgress.objects.get(user=learner, course=course)
    with CaptureQueriesContext(connection) as queries:
        certificate_issue(user=learner, course=course, completed_at=progress.completed_at)

    writes = [
        q["sql"].split("(")[0].strip()
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes[-1] == 'INSERT INTO "audit_auditevent"'
    assert 'INSERT INTO "certificates_certificate"' in writes
    assert 'INSERT INTO "communication_notification"' in writes
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1


def test_no_certificate_before_completion(learner, course):
    assert certificate_issue_for_completion(user=learner, course=course) is None
    assert not Certificate.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.issued").exists()


def test_a_course_that_does_not_issue_certificates(learner, course, instructor):
    certificate_settings_update(actor=instructor, course=course, enabled=False, validity_days=None)
    complete_course(learner, course)
    assert certificate_issue_for_completion(user=learner, course=course) is None
    assert not Certificate.objects.exists()


def test_the_job_skips_deleted_people_and_courses(learner, course):
    certificate_issue_task(learner.pk + 1000, course.pk)
    certificate_issue_task(learner.pk, course.pk + 1000)
    assert not Certificate.objects.exists()


def test_one_current_certificate_per_learner_and_course_is_a_database_rule(certificate):
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            code="0000-0000-0000-0000",
            user=certificate.user,
            course=certificate.course,
            learner_name="x",
            course_title="x",
            completed_at=certificate.completed_at,
            issued_at=certificate.issued_at,
        )


def test_a_lost_race_returns_the_winners_certificate(certificate, learner, course, monkeypatch):
    """Another worker inserted between our look-up and our insert."""
    monkeypatch.setattr(services, "_current", lambda user, course: None)
    with pytest.raises(IntegrityError):
        services._create(
            user=learner,
            course=course,
            learner_name="x",
            course_title="x",
            completed_at=certificate.completed_at,
            issued_at=certificate.issued_at,
        )
    calls = iter([None, certificate])
    monkeypatch.setattr(services, "_current", lambda user, course: next(calls))
    found = certificate_issue(user=learner, course=course, completed_at=certificate.completed_at)
    assert found == certificate
    assert AuditEvent.objects.filter(action="certificate.issued").count() == 1


def test_a_code_collision_draws_another_code(certificate, learner, monkeypatch):
    other = make_course(title="Knots")
    enrol(learner, other)
    codes = iter([certificate.code, "ABCD-EFGH-JKMN-PQRS"])
    monkeypatch.setattr(services, "new_code", lambda: next(codes))
    issued = certificate_issue(user=learner, course=other, completed_at=timezone.now())
    assert issued is not None
    assert issued.code == "ABCD-EFGH-JKMN-PQRS"


def test_names_at_issue_time_are_kept(certificate, learner, course):
    learner.full_name = "Lena Neumann"
    learner.save()
    course.title = "Tides, revised"
    course.save()
    certificate.refresh_from_db()
    assert certificate.learner_name == "Lena Löwe"
    assert certificate.course_title == "Tides and the shore"


def test_display_name_never_shows_an_email_address(db):
    from tests.factories import UserFactory

    assert learner_display_name(UserFactory(full_name="  Ada   Lovelace ")) == "Ada Lovelace"
    assert learner_display_name(UserFactory(full_name="", email="grace@example.org")) == "grace"


# --- Expiry -------------------------------------------------------------------------------


def test_expiry_counts_from_completion(learner, course, instructor):
    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=30)
    with time_machine.travel("2026-03-01 09:00Z", tick=False):
        complete_course(learner, course)
        certificate = certificate_issue_for_completion(user=learner, course=course)
    assert certificate is not None
    assert certificate.expires_at == certificate.completed_at + timedelta(days=30)
    with time_machine.travel("2026-03-31 08:59Z", tick=False):
        assert certificate.status_at(timezone.now()) == Certificate.Status.VALID
    with time_machine.travel("2026-03-31 09:00Z", tick=False):
        assert certificate.status_at(timezone.now()) == Certificate.Status.EXPIRED


# --- Revocation ----------------------------------------------------------------------------


def test_revoking_records_who_when_and_why(certificate, instructor):
    revoked = certificate_revoke(
        actor=instructor, certificate=certificate, reason="  Plagiarised the final essay. "
    )
    assert revoked.revoked_by == instructor
    assert revoked.revoked_reason == "Plagiarised the final essay."
    assert revoked.status_at(timezone.now()) == Certificate.Status.REVOKED
    event = AuditEvent.objects.get(action="certificate.revoked")
    assert event.actor == instructor
    assert event.details == {"code": certificate.code, "reason": "Plagiarised the final essay."}
    assert Notification.objects.filter(
        recipient=certificate.user, title__contains="was revoked"
    ).exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_revoking_needs_a_reason_of_sensible_length(certificate, instructor, reason):
    with pytest.raises(ValidationError) as caught:
        certificate_revoke(actor=instructor, certificate=certificate, reason=reason)
    assert "reason" in caught.value.message_dict
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert not AuditEvent.objects.filter(action="certificate.revoked").exists()


def test_revoking_twice_is_refused(certificate, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Mistake")
    with pytest.raises(ValidationError, match="already revoked"):
        certificate_revoke(actor=instructor, certificate=certificate, reason="Again")
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1


# --- Reissue -------------------------------------------------------------------------------


def test_reissue_replaces_the_certificate_with_a_new_code(
    certificate, instructor, learner, django_capture_on_commit_callbacks
):
    learner.full_name = "Lena Neumann"
    learner.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = certificate_reissue(actor=instructor, certificate=certificate)
    old = Certificate.objects.get(pk=certificate.pk)
    assert new.code != old.code
    assert new.learner_name == "Lena Neumann"
    assert new.completed_at == old.completed_at
    assert old.replaced_by == new and old.replaced_at is not None
    assert old.status_at(timezone.now()) == Certificate.Status.REVOKED
    assert new.status_at(timezone.now()) == Certificate.Status.VALID
    new.refresh_from_db()
    assert new.pdf and default_storage.exists(new.pdf.name)  # drawn by the job
    revoked = AuditEvent.objects.get(action="certificate.revoked")
    assert revoked.details["replaced_by"] == new.code
    issued = AuditEvent.objects.filter(action="certificate.issued").order_by("id").last()
    assert issued is not None and issued.details["reissue_of"] == old.code


def test_reissue_applies_the_current_validity(certificate, instructor, course):
    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=10)
    new = certificate_reissue(actor=instructor, certificate=certificate)
    assert new.expires_at == certificate.completed_at + timedelta(days=10)


def test_a_revoked_certificate_can_be_reissued_and_is_not_revoked_twice(certificate, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="By mistake")
    new = certificate_reissue(actor=instructor, certificate=certificate)
    old = Certificate.objects.get(pk=certificate.pk)
    assert old.revoked_reason == "By mistake"
    assert new.revoked_at is None
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1


def test_a_replaced_certificate_cannot_be_reissued_again(certificate, instructor):
    certificate_reissue(actor=instructor, certificate=certificate)
    with pytest.raises(ValidationError, match="already replaced"):
        certificate_reissue(actor=instructor, certificate=certificate)
    assert Certificate.objects.filter(user=certificate.user).count() == 2


def test_the_completion_job_after_a_reissue_keeps_the_new_certificate(
    certificate, instructor, learner, course
):
    new = certificate_reissue(actor=instructor, certificate=certificate)
    certificate_issue_task(learner.pk, course.pk)
    assert Certificate.objects.filter(user=learner, course=course).count() == 2
    assert Certificate.objects.get(user=learner, course=course, replaced_at__isnull=True) == new


def test_a_revoked_certificate_is_not_issued_again_by_the_job(
    certificate, instructor, learner, course
):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Cheating")
    certificate_issue_task(learner.pk, course.pk)
    assert Certificate.objects.filter(user=learner, course=course).count() == 1


def test_a_deleted_course_keeps_its_certificates_verifiable(certificate, course):
    course.delete()
    certificate.refresh_from_db()
    assert certificate.course is None
    assert certificate.course_title == "Tides and the shore"


# --- Settings ------------------------------------------------------------------------------


def test_settings_update_is_audited_once_per_change(course, instructor):
    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=90)
    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=90)
    row = CertificateSettings.objects.get(course=course)
    assert row.validity_days == 90 and row.updated_by == instructor
    events = AuditEvent.objects.filter(action="certificate.settings_updated")
    assert events.count() == 1
    assert events.get().details == {
        "before": {"enabled": True, "validity_days": None},
        "after": {"enabled": True, "validity_days": 90},
    }


@pytest.mark.parametrize("days", [0, -1, 36501])
def test_settings_refuse_a_validity_out_of_range(course, instructor, days):
    with pytest.raises(ValidationError) as caught:
        certificate_settings_update(
            actor=instructor, course=course, enabled=True, validity_days=days
        )
    assert "validity_days" in caught.value.message_dict
    assert not CertificateSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.settings_updated").exists()


# --- Demo data -----------------------------------------------------------------------------


def test_demo_issues_certificates_for_demo_completions_once(
    course, django_capture_on_commit_callbacks
):
    from syllabus.certificates.demo import load_demo
    from tests.factories import UserFactory

    demo_learner = UserFactory(email="lena.demo@example.com", full_name="Demo Lena")
    real_person = UserFactory(email="someone@school.example.org")
    for person in (demo_learner, real_person):
        enrol(person, course)
        complete_course(person, course)  # on_commit not run: no certificate yet
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    issued = Certificate.objects.get()
    assert issued.user == demo_learner
    assert issued.pdf  # drawn by the queued job
    with django_capture_on_commit_callbacks(execute=True):
        load_demo()
    assert Certificate.objects.count() == 1


# --- The hourly sweep and a queue that is down ---------------------------------------------


def test_a_queue_outage_does_not_fail_the_learners_request_and_the_sweep_issues_later(
    learner, course, monkeypatch, django_capture_on_commit_callbacks
):
    from syllabus.certificates import tasks
    from syllabus.certificates.services import certificates_issue_missing

    def queue_down(*args, **kwargs):
        raise ConnectionError("job storage unavailable")

    monkeypatch.setattr(tasks, "certificate_issue_task", queue_down)
    with django_capture_on_commit_callbacks(execute=True):
        complete_course(learner, course)  # no exception reaches the learner
    assert not Certificate.objects.exists()
    monkeypatch.undo()
    assert certificates_issue_missing() == (1, 0)
    certificate = Certificate.objects.get(user=learner, course=course)
    assert certificates_issue_missing() == (0, 0)  # nothing left to do
    assert certificate.pdf == ""  # the sweep draws it once the grace period has passed
    later = timezone.now() + timedelta(minutes=11)
    assert certificates_issue_missing(now=later) == (0, 1)
    assert Certificate.objects.get(pk=certificate.pk).pdf


def test_the_sweep_leaves_old_completions_disabled_courses_and_revoked_certificates(
    learner, course, instructor
):
    from syllabus.certificates.services import certificates_issue_missing

    with time_machine.travel("2026-01-01 10:00Z", tick=False):
        complete_course(learner, course)  # long ago: not backfilled
    other = make_course(title="Off")
    enrol(learner, other)
    certificate_settings_update(actor=instructor, course=other, enabled=False, validity_days=None)
    complete_course(learner, other)
    third = make_course(title="Revoked")
    enrol(learner, third)
    complete_course(learner, third)
    issued = certificate_issue_for_completion(user=learner, course=third)
    assert issued is not None
    certificate_revoke(actor=None, certificate=issued, reason="Cheating")
    with time_machine.travel("2026-01-20 10:00Z", tick=False):
        assert certificates_issue_missing() == (0, 0)
    assert list(Certificate.objects.values_list("course__title", flat=True)) == ["Revoked"]


def test_the_sweep_runs_hourly_at_minute_23():
    from datetime import datetime

    from huey.contrib.djhuey import HUEY

    def due(minute: int) -> set[str]:
        return {task.name for task in HUEY.read_periodic(datetime(2026, 1, 1, 5, minute))}

    name = "certificates_issue_missing_task"
    assert name in due(23)
    assert name not in due(24)
