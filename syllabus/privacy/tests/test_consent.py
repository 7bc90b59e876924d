"""Versioned policies and consent: nothing to accept until a policy is published; then
pages send people to accept it once, API calls answer consent_required; a new version
asks again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.privacy.models import Consent, PolicyDocument
from syllabus.privacy.selectors import CURRENT_POLICIES_KEY, MEMO_SECONDS, current_policy_ids
from syllabus.privacy.services import consent_accept, policy_publish

pytestmark = pytest.mark.django_db


def _publish(kind: str = "privacy", title: str = "Privacy policy") -> PolicyDocument:
    return policy_publish(actor=None, kind=kind, title=title, body="We keep **little**.")


def test_nothing_published_means_nothing_to_accept(client, learner):
    client.force_login(learner)
    assert client.get(reverse("learning:dashboard")).status_code == 200


def test_pages_send_people_to_accept_and_then_let_them_through(
    client, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = _publish()
    client.force_login(learner)
    response = client.get(reverse("learning:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:consent") + "?next=")
    page = client.get(response["Location"])
    assert b"We keep <strong>little</strong>" in page.content
    refused = client.post(reverse("privacy:consent"), {"next": "/dashboard/"})
    assert refused.status_code == 400 and not Consent.objects.exists()
    accepted = client.post(reverse("privacy:consent"), {"accept": "on", "next": "/dashboard/"})
    assert accepted.status_code == 302 and accepted["Location"] == "/dashboard/"
    consent = Consent.objects.get(user=learner)
    assert consent.document == document and consent.ip == "127.0.0.1"
    assert AuditEvent.objects.filter(action="privacy.consent_given").count() == 1
    assert client.get(reverse("learning:dashboard")).status_code == 200


def test_a_new_version_asks_again(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _publish()
    consent_accept(user=learner, document_ids=[first.pk])
    client.force_login(learner)
    assert client.get(reverse("learning:dashboard")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        second = _publish(title="Privacy policy, 2027")
    assert second.version == 2
    assert client.get(reverse("learning:dashboard")).status_code == 302


def test_the_next_address_must_be_on_this_site(client, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _publish()
    client.force_login(learner)
    response = client.post(
        reverse("privacy:consent"), {"accept": "on", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_api_answers_consent_required_for_sessions_and_tokens(
    client, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = _publish()
    client.force_login(learner)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 403 and response.json()["code"] == "consent_required"
    token = token_create(actor=learner, user=learner, name="t", scopes=[], days=1).plain
    client.logout()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get("/api/v1/auth/me", **bearer)
    assert response.status_code == 403 and response.json()["code"] == "consent_required"
    policies = client.get("/api/v1/privacy/policies").json()
    assert [p["id"] for p in policies] == [document.pk]
    response = client.post(
        "/api/v1/privacy/consents",
        data=json.dumps({"document_ids": [document.pk]}),
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 200 and response.json() == {"accepted": [document.pk]}
    assert client.get("/api/v1/auth/me", **bearer).status_code == 200


def test_accepting_an_old_or_unknown_version_is_refused(
    learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = _publish()
        _publish(title="Newer")
    with pytest.raises(ValidationError):
        consent_accept(user=learner, document_ids=[old.pk])
    with pytest.raises(ValidationError):
        consent_accept(user=learner, document_ids=[999999])
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    ("kind", "title", "body"),
    [
        ("cookies", "T", "B"),
        ("privacy", "", "B"),
        ("privacy", "T", "  "),
        ("terms", "x" * 201, "B"),
    ],
)
def test_publishing_refuses_bad_input(kind, title, body):
    with pytest.raises(ValidationError):
        policy_publish(actor=None, kind=kind, title=title, body=body)
    assert not PolicyDocument.objects.exists()


def test_policies_page_publishes_for_officers(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("privacy:policies"), {"kind": "terms", "title": "Terms", "body": "Be kind."}
    )
    assert response.status_code == 302
    assert PolicyDocument.objects.get().version == 1
    assert AuditEvent.objects.filter(action="privacy.policy_published").exists()


def test_command_publishes_and_lists(tmp_path: Path, capsys):
    text = tmp_path / "privacy.md"
    text.write_text("# Privacy\n\nWe keep little.\n")
    call_command("privacy_policy", "publish", "privacy", str(text), "--title", "Privacy policy")
    assert "Published Privacy policy v1" in capsys.readouterr().out
    call_command("privacy_policy", "list")
    assert "privacy  v1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "privacy_policy", "publish", "terms", str(tmp_path / "missing.md"), "--title", "T"
        )
    assert PolicyDocument.objects.count() == 1


def test_each_process_keeps_the_current_versions_a_few_seconds(django_capture_on_commit_callbacks):
    """The consent middleware asks on every request: the process's copy answers without a
    cache round trip. Publishing here forgets it at once; a version published by another
    process (its cache entry cleared behind this one's back) counts within MEMO_SECONDS."""
    with time_machine.travel("2026-11-27 09:00:00Z", tick=False) as clock:
        assert current_policy_ids() == []
        with django_capture_on_commit_callbacks(execute=True):
            first = _publish()
        assert current_policy_ids() == [first.pk]  # this process: at once
        with CaptureQueriesContext(connection) as queries:
            assert current_policy_ids() == [first.pk]
        assert len(queries) == 0
        cache.delete(CURRENT_POLICIES_KEY)
        assert cache.get(CURRENT_POLICIES_KEY) is None
        assert current_policy_ids() == [first.pk]  # the process's copy, no cache read
        assert cache.get(CURRENT_POLICIES_KEY) is None
        # Another process publishes (its own memo forgotten, the cache entry deleted).
        second = PolicyDocument.objects.create(
            kind="privacy",
            version=2,
            title="Privacy policy, 2027",
            body="More.",
            published_at=timezone.now(),
        )
        cache.delete(CURRENT_POLICIES_KEY)
        assert current_policy_ids() == [first.pk]
        clock.shift(MEMO_SECONDS)
        assert current_policy_ids() == [second.pk]
