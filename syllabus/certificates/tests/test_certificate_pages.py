"""The certificate pages: the learner's list and download, a course's list, settings,
revoke and reissue with confirmation, and the public verification page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from syllabus.audit.models import AuditEvent
from syllabus.certificates.models import Certificate, CertificateSettings
from syllabus.certificates.services import certificate_issue, certificate_revoke
from tests.factories import UserFactory

from .conftest import enrol, make_course

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- My certificates and the PDF ------------------------------------------------------------


def test_my_certificates_lists_them_with_status_and_download(certificate, learner):
    response = _client(learner).get(reverse("certificates:mine"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tides and the shore" in body
    assert certificate.code in body
    assert reverse("certificates:download", args=[certificate.public_id]) in body
    assert ">Valid<" in body


def test_my_certificates_when_there_are_none(learner):
    body = _client(learner).get(reverse("certificates:mine")).content.decode()
    assert "You have no certificate yet" in body


def test_a_revoked_certificate_is_listed_without_download(certificate, learner, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Cheating")
    body = _client(learner).get(reverse("certificates:mine")).content.decode()
    assert ">Revoked<" in body
    assert reverse("certificates:download", args=[certificate.public_id]) not in body
    assert "Cheating" not in body  # the reason is for staff


def test_the_learner_downloads_the_pdf(certificate, learner):
    response = _client(learner).get(reverse("certificates:download", args=[certificate.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        f"certificate-tides-and-the-shore-{certificate.code}.pdf"
        in (response["Content-Disposition"])
    )
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_missing_pdf_is_drawn_on_download(certificate, learner):
    default_storage.delete(certificate.pdf.name)
    Certificate.objects.filter(pk=certificate.pk).update(pdf="")
    response = _client(learner).get(reverse("certificates:download", args=[certificate.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert Certificate.objects.get(pk=certificate.pk).pdf


def test_others_cannot_download_it(certificate, course, learner, instructor):
    classmate = UserFactory()
    enrol(classmate, course)
    url = reverse("certificates:download", args=[certificate.public_id])
    assert _client(classmate).get(url).status_code == 403
    assert _client(instructor).get(url).status_code == 200
    certificate_revoke(actor=instructor, certificate=certificate, reason="Cheating")
    assert _client(learner).get(url).status_code == 403  # revoked: no more downloads
    assert _client(instructor).get(url).status_code == 200  # staff keep the record


def test_unknown_certificate_is_404(learner):
    url = reverse("certificates:download", args=["crt_nothing"])
    assert _client(learner).get(url).status_code == 404


# --- A course's certificates ---------------------------------------------------------------


def _issue_many(course, count: int) -> None:
    for _ in range(count):
        person = UserFactory()
        enrol(person, course)
        certificate_issue(user=person, course=course, completed_at=timezone.now())


def test_course_list_shows_certificates_to_staff(certificate, course, instructor):
    response = _client(instructor).get(reverse("certificates:course_list", args=[course.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert certificate.code in body
    assert "Lena Löwe" in body and "lena@example.org" in body
    assert reverse("certificates:revoke", args=[certificate.public_id]) in body
    assert reverse("certificates:course_settings", args=[course.public_id]) in body


def test_course_list_query_count_does_not_grow_with_rows(
    course, instructor, django_assert_max_num_queries
):
    client = _client(instructor)
    url = reverse("certificates:course_list", args=[course.public_id])
    _issue_many(course, 3)
    client.get(url)  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    _issue_many(course, 27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('<th scope="row">') == 30


def test_course_list_empty_state(course, instructor):
    body = (
        _client(instructor)
        .get(reverse("certificates:course_list", args=[course.public_id]))
        .content.decode()
    )
    assert "No certificate has been issued yet" in body


def test_a_draft_course_is_hidden_from_outsiders(db):
    from syllabus.courses.models import Course

    draft = make_course()
    Course.objects.filter(pk=draft.pk).update(status=Course.Status.DRAFT)
    url = reverse("certificates:course_list", args=[draft.public_id])
    assert _client(UserFactory(site_roles=["manager"])).get(url).status_code == 404


# --- Settings --------------------------------------------------------------------------------


def test_settings_are_saved_and_audited(course, instructor):
    url = reverse("certificates:course_settings", args=[course.public_id])
    response = _client(instructor).post(url, {"enabled": "on", "validity_days": "365"})
    assert response.status_code == 302
    row = CertificateSettings.objects.get(course=course)
    assert row.enabled and row.validity_days == 365
    assert AuditEvent.objects.filter(action="certificate.settings_updated").count() == 1


@pytest.mark.parametrize("days", ["0", "-5", "abc", "36501"])
def test_bad_settings_are_refused_and_nothing_is_written(course, instructor, days):
    url = reverse("certificates:course_settings", args=[course.public_id])
    response = _client(instructor).post(url, {"enabled": "on", "validity_days": days})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'aria-describedby="id_validity_days_helptext id_validity_days_error"' in body
    assert 'id="id_validity_days_error"' in body
    assert not CertificateSettings.objects.exists()
    assert not AuditEvent.objects.filter(action="certificate.settings_updated").exists()


def test_turning_certificates_off(course, instructor):
    url = reverse("certificates:course_settings", args=[course.public_id])
    _client(instructor).post(url, {"validity_days": ""})
    row = CertificateSettings.objects.get(course=course)
    assert not row.enabled and row.validity_days is None


# --- Revoke and reissue ------------------------------------------------------------------------


def test_revoking_asks_for_confirmation_and_a_reason(certificate, instructor):
    client = _client(instructor)
    url = reverse("certificates:revoke", args=[certificate.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "Revoke Lena Löwe's certificate?" in page.content.decode()
    refused = client.post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert 'id="id_reason_error"' in refused.content.decode()
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None
    done = client.post(url, {"reason": "Identity fraud"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Identity fraud"
    assert certificate.revoked_by == instructor


def test_revoking_an_already_revoked_certificate_says_so(certificate, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Once")
    url = reverse("certificates:revoke", args=[certificate.public_id])
    response = _client(instructor).post(url, {"reason": "Twice"}, follow=True)
    assert "already revoked" in response.content.decode()
    assert AuditEvent.objects.filter(action="certificate.revoked").count() == 1


def test_reissue_asks_for_confirmation_then_replaces(certificate, instructor):
    client = _client(instructor)
    url = reverse("certificates:reissue", args=[certificate.public_id])
    assert "Reissue Lena Löwe's certificate?" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    new = Certificate.objects.get(user=certificate.user, replaced_at__isnull=True)
    assert new.pk != certificate.pk
    assert f"Certificate {new.code} issued to Lena Löwe" in response.content.decode()
    again = client.post(url, follow=True)
    assert "was already replaced" in again.content.decode()


def test_a_learner_cannot_revoke_their_own(certificate, learner):
    url = reverse("certificates:revoke", args=[certificate.public_id])
    assert _client(learner).post(url, {"reason": "I want to"}).status_code == 403
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None


# --- Public verification ----------------------------------------------------------------------


def test_anyone_can_verify_a_valid_certificate_and_sees_only_four_facts(certificate):
    response = Client().get(reverse("certificates:verify", args=[certificate.code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This certificate is valid." in body
    assert "Lena Löwe" in body and "Tides and the shore" in body
    assert "lena@example.org" not in body
    assert certificate.user.public_id not in body
    assert certificate.public_id not in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private, no-cache"


def test_verification_shows_a_revoked_certificate_as_revoked_without_the_reason(
    certificate, instructor
):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Secret reason")
    body = Client().get(reverse("certificates:verify", args=[certificate.code])).content.decode()
    assert "This certificate was revoked." in body
    assert "Secret reason" not in body


def test_verification_shows_expiry(learner, course, instructor, django_capture_on_commit_callbacks):
    from syllabus.certificates.services import certificate_settings_update

    from .conftest import complete_course

    certificate_settings_update(actor=instructor, course=course, enabled=True, validity_days=30)
    with time_machine.travel("2026-01-10 12:00Z", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            complete_course(learner, course)
        certificate = Certificate.objects.get(user=learner)
    assert certificate.expires_at is not None
    url = reverse("certificates:verify", args=[certificate.code])
    with time_machine.travel(certificate.expires_at - timedelta(seconds=1), tick=False):
        assert "This certificate is valid." in Client().get(url).content.decode()
    with time_machine.travel(certificate.expires_at, tick=False):
        assert "This certificate has expired." in Client().get(url).content.decode()


def test_a_typed_variant_of_a_code_redirects_to_the_canonical_page(certificate):
    typed = certificate.code.replace("-", "").lower()
    response = Client().get(reverse("certificates:verify", args=[typed]))
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:verify", args=[certificate.code])


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not-a-code", "A" * 200])
def test_unknown_or_malformed_codes_get_a_clear_404(db, code):
    response = Client().get(reverse("certificates:verify", args=[code]))
    assert response.status_code == 404
    assert "No certificate has this code" in response.content.decode()


def test_the_form_sends_a_typed_code_to_its_page(certificate):
    form = reverse("certificates:verify_form")
    assert Client().get(form).status_code == 200
    response = Client().get(form, {"code": certificate.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("certificates:verify", args=[certificate.code])
    bad = Client().get(form, {"code": "nope"})
    assert bad.status_code == 400
    assert 'id="id_code_error"' in bad.content.decode()


def test_verification_is_rate_limited_per_address(certificate, settings):
    settings.CERTIFICATE_VERIFY_RATE = "3/minute"
    client = Client()
    url = reverse("certificates:verify", args=["ZZZZ-ZZZZ-ZZZZ-ZZZZ"])
    assert [client.get(url).status_code for _ in range(3)] == [404, 404, 404]
    refused = client.get(reverse("certificates:verify", args=[certificate.code]))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused["RateLimit-Limit"] == "3"
    assert "Too many certificate look-ups" in refused.content.decode()
    other = Client(REMOTE_ADDR="192.0.2.77")
    assert other.get(reverse("certificates:verify", args=[certificate.code])).status_code == 200


def test_the_admin_shows_certificates_read_only(certificate, admin_user):
    client = _client(admin_user)
    listing = client.get("/admin/certificates/certificate/")
    assert listing.status_code == 200
    assert certificate.code in listing.content.decode()
    detail = client.get(f"/admin/certificates/certificate/{certificate.pk}/change/")
    assert detail.status_code == 200
    assert 'name="learner_name"' not in detail.content.decode()  # no editable field
    assert client.get("/admin/certificates/certificate/add/").status_code == 403


def test_verification_reads_the_certificate_in_one_query(certificate):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("certificates:verify", args=[certificate.code])
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url).status_code == 200
    ours = [q["sql"] for q in queries.captured_queries if "certificates_" in q["sql"]]
    assert len(ours) == 1  # the look-up by code: no join, no other table of ours
    assert "JOIN" not in ours[0]
