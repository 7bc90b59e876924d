"""Data subject requests: who may ask for whom, the export and its expiring link, the
erasure review, deadlines; pages and API."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.privacy.exports import expire_exports
from syllabus.privacy.models import DataRequest, ErasureRecord, PolicyDocument
from syllabus.privacy.services import flag_overdue, request_create, request_review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db):
    return UserFactory(email="officer@example.org", site_roles=["compliance_officer"])


@pytest.fixture
def recent_mfa(monkeypatch):
    """Sensitive actions need a recent second-factor check; these tests are past it."""
    monkeypatch.setattr("syllabus.accounts.mfa.has_recent_mfa", lambda request: True)


def _zip_names(response) -> list[str]:
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


# --- Services -----------------------------------------------------------------------------


def test_a_person_cannot_ask_for_someone_elses_data(learner, outsider):
    for kind in ("access", "erasure"):
        with pytest.raises(PermissionDenied):
            request_create(actor=outsider, subject=learner, kind=kind)
    assert not DataRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()


def test_an_officer_can_ask_on_someones_behalf(officer, learner):
    made = request_create(actor=officer, subject=learner, kind="erasure", reason="Letter 12")
    assert made.requested_by == officer and made.status == "pending"
    assert abs(made.due_at - made.created_at - timedelta(days=30)) < timedelta(seconds=1)
    event = AuditEvent.objects.get(action="privacy.erasure_requested")
    assert event.details["on_behalf"] is True and event.details["subject"] == learner.public_id
    assert Notification.objects.filter(recipient=officer, kind="privacy").exists()


def test_one_open_request_of_a_kind_at_a_time(learner):
    request_create(actor=learner, subject=learner, kind="erasure")
    with pytest.raises(ValidationError, match="already open"):
        request_create(actor=learner, subject=learner, kind="erasure")
    assert DataRequest.objects.count() == 1


@pytest.mark.parametrize("kind", ["", "delete", "ACCESS"])
def test_unknown_kinds_are_refused(learner, kind):
    with pytest.raises(ValidationError):
        request_create(actor=learner, subject=learner, kind=kind)
    assert not DataRequest.objects.exists()


def test_downloading_an_export_asks_for_the_second_factor_again(client, learner):
    made = request_create(actor=learner, subject=learner, kind="access")
    client.force_login(learner)
    response = client.get(reverse("privacy:download", args=[made.public_id]))
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert not AuditEvent.objects.filter(action="privacy.export_downloaded").exists()


def test_export_is_built_and_downloadable_until_it_expires(
    client, learner, settings, recent_mfa, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            made = request_create(actor=learner, subject=learner, kind="access")
        made.refresh_from_db()
        assert made.status == "ready" and made.export_sha256  # jobs run at once in tests
        assert Notification.objects.filter(recipient=learner, title__contains="ready").exists()
        client.force_login(learner)
        response = client.get(reverse("privacy:download", args=[made.public_id]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert "accounts.user.json" in _zip_names(response)
        downloaded = AuditEvent.objects.get(action="privacy.export_downloaded")
        assert downloaded.details["export"] == "personal_data"
        assert downloaded.details["sha256"] == made.export_sha256
        assert downloaded.details["rows"] > 0  # the records in it, from its manifest
        traveller.shift(timedelta(days=settings.PRIVACY_EXPORT_DAYS, seconds=1))
        client.force_login(learner)  # the first session has timed out meanwhile
        assert client.get(reverse("privacy:download", args=[made.public_id])).status_code == 410
        with django_capture_on_commit_callbacks(execute=True):
            assert expire_exports() == 1
        assert not default_storage.exists(made.export_file)
    made.refresh_from_db()
    assert made.status == "expired" and made.export_file == ""


def test_nobody_else_can_download_an_export(client, learner, outsider, officer, recent_mfa):
    made = request_create(actor=learner, subject=learner, kind="access")
    url = reverse("privacy:download", args=[made.public_id])
    for person in (outsider, officer):
        client.force_login(person)
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="privacy.export_downloaded").exists()


def test_an_officer_who_asked_for_someone_can_download_it(
    client, learner, officer, recent_mfa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = request_create(actor=officer, subject=learner, kind="access")
    client.force_login(officer)
    response = client.get(reverse("privacy:download", args=[made.public_id]))
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="privacy.export_downloaded").details["on_behalf"]


def test_approved_erasure_is_carried_out(officer, learner, django_capture_on_commit_callbacks):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    with django_capture_on_commit_callbacks(execute=True):
        request_review(actor=officer, request=made, approve=True, reason="Verified by phone")
    made.refresh_from_db()
    assert made.status == "completed" and made.reviewed_by == officer
    assert ErasureRecord.objects.filter(user=learner, request=made).exists()
    learner.refresh_from_db()
    assert learner.email.endswith("@erased.invalid") and not learner.is_active
    actions = list(
        AuditEvent.objects.filter(action__startswith="privacy.erasure")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "privacy.erasure_requested",
        "privacy.erasure_approved",
        "privacy.erasure_completed",
    ]


def test_rejecting_needs_a_reason_and_tells_the_person(officer, learner):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    with pytest.raises(ValidationError):
        request_review(actor=officer, request=made, approve=False, reason="  ")
    made.refresh_from_db()
    assert made.status == "pending"
    request_review(actor=officer, request=made, approve=False, reason="Open loan of a laptop")
    made.refresh_from_db()
    assert made.status == "rejected"
    assert Notification.objects.filter(recipient=learner, body="Open loan of a laptop").exists()
    assert not ErasureRecord.objects.exists()


def test_reviewing_needs_retention_manage_and_not_ones_own_request(officer, learner, outsider):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    with pytest.raises(PermissionDenied):
        request_review(actor=outsider, request=made, approve=True)
    own = request_create(actor=officer, subject=officer, kind="erasure")
    with pytest.raises(PermissionDenied):
        request_review(actor=officer, request=own, approve=True)
    assert DataRequest.objects.filter(status="pending").count() == 2


def test_overdue_requests_are_flagged_once(officer, learner):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    with time_machine.travel(made.due_at + timedelta(days=2), tick=False):
        assert flag_overdue() == 1
        assert flag_overdue() == 0
        made.refresh_from_db()
        assert made.is_overdue and made.overdue_flagged_at is not None
    event = AuditEvent.objects.get(action="privacy.request_overdue")
    assert event.details["late_by_days"] == 2


# --- Pages --------------------------------------------------------------------------------


def test_home_lists_requests_and_offers_both(client, learner):
    client.force_login(learner)
    response = client.get(reverse("privacy:home"))
    assert response.status_code == 200
    assert b"Request a copy of my data" in response.content
    assert b"You have not made any requests" in response.content


def test_erasure_needs_the_confirmation_box(client, learner):
    client.force_login(learner)
    response = client.post(reverse("privacy:erasure_request"), {"reason": "bye"})
    assert response.status_code == 400
    assert b"cannot be undone" in response.content
    assert not DataRequest.objects.exists()
    response = client.post(reverse("privacy:erasure_request"), {"confirm": "on"})
    assert response.status_code == 302
    assert DataRequest.objects.get().kind == "erasure"


def test_officer_queue_flags_overdue_and_records_requests_for_others(
    client, officer, learner, recent_mfa
):
    client.force_login(officer)
    response = client.post(
        reverse("privacy:request_for"),
        {"email": learner.email, "kind": "erasure", "reason": "Letter"},
    )
    assert response.status_code == 302
    made = DataRequest.objects.get()
    with time_machine.travel(made.due_at + timedelta(days=1), tick=False):
        client.force_login(officer)
        page = client.get(reverse("privacy:requests") + "?overdue=1")
    assert made.public_id.encode() in page.content and b"Overdue" in page.content
    response = client.post(
        reverse("privacy:request_for"), {"email": "nobody@example.org", "kind": "access"}
    )
    assert response.status_code == 400
    assert DataRequest.objects.count() == 1


def test_officer_approves_on_the_review_page(
    client, officer, learner, recent_mfa, django_capture_on_commit_callbacks
):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    client.force_login(officer)
    url = reverse("privacy:review", args=[made.public_id])
    page = client.get(url)
    assert b"Record the decision" in page.content
    assert client.post(url, {"decision": "reject"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"decision": "approve"}).status_code == 302
    made.refresh_from_db()
    assert made.status == "completed"


def test_review_list_query_count_does_not_grow_with_rows(
    client, officer, django_assert_max_num_queries
):
    def make(n: int) -> None:
        for _ in range(n):
            person = UserFactory()
            DataRequest.objects.create(kind="erasure", subject=person, requested_by=person)

    client.force_login(officer)
    make(3)
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("privacy:requests"))
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("privacy:requests"))


# --- API ----------------------------------------------------------------------------------


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_api_requests_for_oneself_and_refusal_for_others(client, learner, outsider):
    client.force_login(outsider)
    response = _post(
        client, "/api/v1/privacy/requests", {"kind": "access", "subject": learner.public_id}
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = _post(client, "/api/v1/privacy/requests", {"kind": "erasure"})
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert _post(client, "/api/v1/privacy/requests", {"kind": "erasure"}).status_code == 422
    listed = client.get("/api/v1/privacy/requests").json()
    assert [r["kind"] for r in listed] == ["erasure"]
    assert DataRequest.objects.filter(subject=learner).count() == 0


def test_api_review_needs_recent_mfa_then_works(client, officer, learner, monkeypatch):
    made = request_create(actor=learner, subject=learner, kind="erasure")
    client.force_login(officer)
    path = f"/api/v1/privacy/requests/{made.public_id}/review"
    response = _post(client, path, {"approve": False, "reason": "No"})
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    monkeypatch.setattr("syllabus.accounts.mfa.has_recent_mfa", lambda request: True)
    response = _post(client, path, {"approve": False, "reason": "No"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"


def test_api_download_of_an_expired_export_is_410(
    client, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = request_create(actor=learner, subject=learner, kind="access")
    DataRequest.objects.filter(pk=made.pk).update(export_expires_at=timezone.now())
    client.force_login(learner)
    response = client.get(f"/api/v1/privacy/requests/{made.public_id}/download")
    assert response.status_code == 410 and response.json()["code"] == "export_expired"


def test_demo_data_is_idempotent_and_leaves_demo_logins_unblocked(client):
    from syllabus.privacy.demo import load_demo

    learner = UserFactory(email="learner@example.com")
    classmate = UserFactory(email="zoe@example.com")
    load_demo()
    load_demo()
    assert PolicyDocument.objects.count() == 2
    assert DataRequest.objects.filter(subject=learner, status="pending").count() == 1
    assert DataRequest.objects.get(subject=classmate).is_overdue
    client.force_login(learner)
    assert client.get(reverse("privacy:home")).status_code == 200


def test_api_officer_acts_for_someone_with_a_recent_second_factor(
    client, officer, learner, monkeypatch
):
    client.force_login(officer)
    body = {"kind": "access", "subject": learner.public_id, "reason": "Letter 7"}
    response = _post(client, "/api/v1/privacy/requests", body)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    assert not DataRequest.objects.exists()
    monkeypatch.setattr("syllabus.accounts.mfa.has_recent_mfa", lambda request: True)
    response = _post(client, "/api/v1/privacy/requests", body)
    assert response.status_code == 201 and response.json()["subject"] == learner.public_id
    missing = _post(client, "/api/v1/privacy/requests", {**body, "subject": "usr_nobody"})
    assert missing.status_code == 404
    queue = client.get("/api/v1/privacy/queue?kind=access").json()
    assert [r["subject"] for r in queue] == [learner.public_id]


def test_home_query_count_does_not_grow_with_requests(
    client, learner, django_assert_max_num_queries
):
    def make(n: int) -> None:
        for _ in range(n):
            DataRequest.objects.create(
                kind="access", subject=learner, requested_by=learner, status="expired"
            )

    client.force_login(learner)
    make(3)
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("privacy:home"))
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("privacy:home"))
