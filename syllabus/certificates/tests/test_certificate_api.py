"""The certificates API: lists, settings, revoke, reissue, the PDF and public verification."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.certificates.models import Certificate, CertificateSettings
from syllabus.certificates.services import certificate_revoke

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _post(client: Client, url: str, data: object = None, method: str = "post"):
    return getattr(client, method)(
        url, data=json.dumps(data or {}), content_type="application/json"
    )


def test_my_certificates(certificate, learner):
    body = _client(learner).get("/api/v1/me/certificates").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["code"] == certificate.code
    assert item["status"] == "valid"
    assert item["pdf_ready"] is True
    assert item["verify_url"].endswith(f"/certificates/verify/{certificate.code}/")
    assert "learner_email" not in item


def test_a_course_list_for_staff(certificate, course, instructor):
    body = _client(instructor).get(f"/api/v1/courses/{course.public_id}/certificates").json()
    assert body["count"] == 1
    assert body["items"][0]["learner_email"] == "lena@example.org"
    assert body["items"][0]["replaced_by"] is None


def test_settings_get_and_put(course, instructor):
    client = _client(instructor)
    url = f"/api/v1/courses/{course.public_id}/certificate-settings"
    assert client.get(url).json() == {
        "course": course.public_id,
        "enabled": True,
        "validity_days": None,
    }
    response = _post(client, url, {"enabled": True, "validity_days": 730}, method="put")
    assert response.status_code == 200
    assert response.json()["validity_days"] == 730
    assert CertificateSettings.objects.get(course=course).validity_days == 730


@pytest.mark.parametrize(
    "payload", [{"enabled": True, "validity_days": 0}, {"enabled": "maybe"}, {"validity_days": 5}]
)
def test_bad_settings_get_422_and_write_nothing(course, instructor, payload):
    url = f"/api/v1/courses/{course.public_id}/certificate-settings"
    response = _post(_client(instructor), url, payload, method="put")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not CertificateSettings.objects.exists()


def test_revoke(certificate, instructor):
    url = f"/api/v1/certificates/{certificate.public_id}/revoke"
    response = _post(_client(instructor), url, {"reason": "Submitted someone else's work"})
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked_reason"] == "Submitted someone else's work"


@pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "x" * 600}])
def test_revoke_without_a_proper_reason_is_422(certificate, instructor, payload):
    url = f"/api/v1/certificates/{certificate.public_id}/revoke"
    response = _post(_client(instructor), url, payload)
    assert response.status_code == 422
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="certificate.revoked").exists()


def test_revoke_twice_is_422(certificate, instructor):
    certificate_revoke(actor=instructor, certificate=certificate, reason="Once")
    url = f"/api/v1/certificates/{certificate.public_id}/revoke"
    response = _post(_client(instructor), url, {"reason": "Twice"})
    assert response.status_code == 422
    assert "already revoked" in response.json()["detail"]


def test_reissue(certificate, instructor):
    response = _post(_client(instructor), f"/api/v1/certificates/{certificate.public_id}/reissue")
    assert response.status_code == 201
    new = response.json()
    assert new["code"] != certificate.code
    replaced_by = Certificate.objects.get(pk=certificate.pk).replaced_by
    assert replaced_by is not None and replaced_by.public_id == new["public_id"]


def test_the_pdf(certificate, learner):
    response = _client(learner).get(f"/api/v1/certificates/{certificate.public_id}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_a_token_needs_the_scope_for_staff_actions(certificate, instructor):
    token = token_create(actor=instructor, user=instructor, name="t", scopes=[], days=1).plain
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        f"/api/v1/certificates/{certificate.public_id}/revoke",
        data=json.dumps({"reason": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/certificates/{certificate.public_id}/pdf").status_code == 403


def test_the_learner_token_downloads_their_own_pdf_without_a_scope(certificate, learner):
    token = token_create(actor=learner, user=learner, name="t", scopes=[], days=1).plain
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(f"/api/v1/certificates/{certificate.public_id}/pdf").status_code == 200


def test_public_verification(certificate):
    response = Client().get(f"/api/v1/certificates/verify/{certificate.code.lower()}")
    assert response.status_code == 200
    assert response.json() == {
        "code": certificate.code,
        "name": "Lena Löwe",
        "course": "Tides and the shore",
        "completed_at": response.json()["completed_at"],
        "status": "valid",
    }


def test_public_verification_of_an_unknown_code(db):
    response = Client().get("/api/v1/certificates/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404
    assert response.json() == {"detail": "No certificate has this code.", "code": "not_found"}
    assert Client().get("/api/v1/certificates/verify/%3Cscript%3E").status_code == 404


def test_public_verification_is_rate_limited(db, settings):
    settings.CERTIFICATE_VERIFY_RATE = "2/minute"
    client = Client()
    codes = [
        client.get("/api/v1/certificates/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ").status_code for _ in range(3)
    ]
    assert codes == [404, 404, 429]
    refused = client.get("/api/v1/certificates/verify/ZZZZ-ZZZZ-ZZZZ-ZZZZ")
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
