"""MFA policy: required for the configured roles after a grace period, enrolment forced
after it, recent MFA for sensitive actions, and the audited admin reset (page and CLI)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client, RequestFactory

from syllabus.accounts import mfa
from syllabus.accounts.models import OneTimeCodeMethod, Role
from syllabus.accounts.services import role_grant, role_revoke
from syllabus.accounts.tests.mfa_helpers import (
    enable_code_method,
    enrol_totp,
    mark_recent_mfa,
    sign_in,
    totp_code,
)
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)


def role(slug: str) -> Role:
    return Role.objects.get(slug=slug)


# --- When MFA is required ---------------------------------------------------------------------


def test_gaining_a_required_role_starts_the_grace_period_and_losing_it_ends_it(learner, admin_user):
    with time_machine.travel(START, tick=False):
        role_grant(actor=None, user=learner, role=role("manager"))
        learner.refresh_from_db()
        assert learner.mfa_required_since is None  # managers are not in the list
        role_grant(actor=None, user=learner, role=role("admin"))
        learner.refresh_from_db()
        assert learner.mfa_required_since == START
    with time_machine.travel(START + timedelta(days=3), tick=False):
        role_grant(actor=None, user=learner, role=role("auditor"))  # still counted from START
        learner.refresh_from_db()
        assert learner.mfa_required_since == START
        role_revoke(actor=None, user=learner, role=role("admin"))
        learner.refresh_from_db()
        assert learner.mfa_required_since is None


def test_a_superuser_counts_as_an_admin(learner):
    learner.is_superuser = True
    learner.save()
    learner.refresh_from_db()
    assert learner.mfa_required_since is not None


def test_course_roles_join_through_a_registered_source(learner, monkeypatch):
    monkeypatch.setattr(mfa, "_role_sources", [lambda user: {"instructor"}])
    assert mfa.mfa_requirement_refresh(learner) is not None
    assert mfa.mfa_required_roles_held(learner) == {"instructor"}


def test_the_required_roles_are_a_setting(learner, settings):
    settings.MFA_REQUIRED_ROLES = ["auditor"]
    role_grant(actor=None, user=learner, role=role("auditor"))
    learner.refresh_from_db()
    assert learner.mfa_required_since is not None


def test_mfa_is_required_only_after_the_grace_period(learner):
    with time_machine.travel(START, tick=False) as traveller:
        role_grant(actor=None, user=learner, role=role("admin"))
        learner.refresh_from_db()
        assert mfa.mfa_required(learner) is False
        assert mfa.mfa_grace_days_left(learner) == 7
        traveller.shift(timedelta(days=6, hours=23))
        assert mfa.mfa_required(learner) is False
        assert mfa.mfa_grace_days_left(learner) == 1
        traveller.shift(timedelta(hours=1))
        assert mfa.mfa_required(learner) is True
        assert mfa.mfa_enrolment_required(learner) is True
        enrol_totp(learner)
        assert mfa.mfa_required(learner) is True
        assert mfa.mfa_enrolment_required(learner) is False


def test_policy_settings_come_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYLLABUS_", "DATABASE_"))}
    env.update(
        SYLLABUS_DEBUG="true",
        SYLLABUS_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="syllabus.config.settings",
        SYLLABUS_MFA_REQUIRED_ROLES="admin, security_officer",
        SYLLABUS_MFA_GRACE_DAYS="3",
        SYLLABUS_MFA_RECENT_MINUTES="5",
    )
    code = (
        "from django.conf import settings as s; "
        "print(s.MFA_REQUIRED_ROLES, s.MFA_GRACE_DAYS, s.MFA_RECENT_MINUTES)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "['admin', 'security_officer'] 3 5", result.stderr


# --- The banner and forced enrolment --------------------------------------------------------------


def new_admin():
    return UserFactory(email="newadmin@example.org", site_roles=["admin"])


def test_during_the_grace_period_a_banner_says_how_many_days_are_left(client):
    with time_machine.travel(START, tick=False) as traveller:
        admin = new_admin()
        traveller.shift(timedelta(days=2))
        client.force_login(admin)
        html = client.get("/").content.decode()
    assert "Set up two-step verification." in html
    assert "in 5 days you will not be able to use" in html
    assert 'href="/accounts/2fa/"' in html


def test_no_banner_for_learners_or_enrolled_admins(client, learner):
    client.force_login(learner)
    assert "Set up two-step verification." not in client.get("/").content.decode()
    admin = new_admin()
    enrol_totp(admin)
    client.force_login(admin)
    assert "Set up two-step verification." not in client.get("/").content.decode()


def test_after_the_grace_period_sign_in_leads_straight_to_enrolment(client):
    with time_machine.travel(START, tick=False) as traveller:
        admin = new_admin()
        traveller.shift(timedelta(days=7, seconds=1))
        response = sign_in(client, admin.email)
        assert client.get(response["Location"])["Location"] == "/accounts/2fa/"
        # every other page leads there too
        for path in ("/", "/account/people/", "/account/tokens/", "/admin/"):
            assert client.get(path)["Location"] == "/accounts/2fa/", path
        # the enrolment pages, signing out and static files stay reachable
        page = client.get("/accounts/2fa/")
        assert page.status_code == 200
        assert "Two-step verification is required for your role." in page.content.decode()
        assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith(
            "/accounts/reauthenticate/"
        )
        assert client.get("/account/security/codes/email/").status_code in (200, 302)
        static = client.get("/static/syllabus/css/syllabus.css")
        assert static.get("Location") != "/accounts/2fa/"
        # health probes answer whoever asks
        assert client.get("/health/live").status_code == 200
        # the API answers in JSON
        api = client.get("/api/v1/version")
        assert api.status_code == 403
        assert api.json() == {
            "detail": "Set up two-step verification (MFA) before using the API.",
            "code": "mfa_enrolment_required",
        }
        # once a second factor is set up, everything is open again
        mark_recent_mfa(client, admin, method="password")
        client.get("/accounts/2fa/totp/activate/")
        secret = client.session["mfa.totp.secret"]
        client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/version").status_code == 200


def test_signing_out_works_while_enrolment_is_forced(client):
    with time_machine.travel(START, tick=False) as traveller:
        admin = new_admin()
        traveller.shift(timedelta(days=8))
        client.force_login(admin)
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert client.get("/").status_code == 200  # anonymous now


def test_the_last_factor_cannot_be_removed_once_mfa_is_enforced(client):
    with time_machine.travel(START, tick=False) as traveller:
        admin = new_admin()
        enable_code_method(admin, "email")
        traveller.shift(timedelta(days=8))
        client.force_login(admin)
        mark_recent_mfa(client, admin)
        page = client.get("/account/security/codes/email/remove/").content.decode()
        assert "This is your only way to verify" in page
        assert client.post("/account/security/codes/email/remove/").status_code == 400
        assert OneTimeCodeMethod.objects.filter(user=admin).exists()
        # the rule lives in the service, whatever calls it
        from django.core.exceptions import ValidationError

        from syllabus.accounts.one_time_codes import code_method_remove

        fresh = type(admin).objects.get(pk=admin.pk)
        with pytest.raises(ValidationError, match="add another method"):
            code_method_remove(actor=fresh, user=fresh, channel="email")
        assert OneTimeCodeMethod.objects.filter(user=admin).exists()
        # with a second method the first can go
        enrol_totp(admin)
        assert client.post("/account/security/codes/email/remove/").status_code == 302
        # and the authenticator app, now the last one, stays
        response = client.post("/accounts/2fa/totp/deactivate/")
        assert response.status_code in (200, 400)
        assert Authenticator.objects.filter(user=admin, type="totp").exists()


# --- Recent MFA for sensitive actions -------------------------------------------------------------


def request_with_records(user, records):
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request.session["account_authentication_methods"] = records
    request.session["account_authentication_methods_user"] = str(user.pk)
    return request


def test_has_recent_mfa_reads_the_authentication_records(learner):
    with time_machine.travel(START, tick=False):
        now = START.timestamp()
        password_only = [{"method": "password", "at": now - 60}]
        # no second factor: a recent password check is the best there is
        assert mfa.has_recent_mfa(request_with_records(learner, password_only)) is True
        old = [{"method": "password", "at": now - 16 * 60}]
        assert mfa.has_recent_mfa(request_with_records(learner, old)) is False
        # with a second factor, only a second-factor check counts
        enrol_totp(learner)
        assert mfa.has_recent_mfa(request_with_records(learner, password_only)) is False
        recent = [*password_only, {"method": "mfa", "at": now - 14 * 60, "type": "totp"}]
        assert mfa.has_recent_mfa(request_with_records(learner, recent)) is True
        stale = [{"method": "mfa", "at": now - 15 * 60 - 1, "type": "totp"}]
        assert mfa.has_recent_mfa(request_with_records(learner, stale)) is False


def test_a_sensitive_page_asks_for_mfa_again_after_fifteen_minutes(client, admin_user, learner):
    with time_machine.travel(START, tick=False) as traveller:
        secret = enrol_totp(admin_user)
        sign_in(client, admin_user.email)
        client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        url = f"/account/users/{learner.public_id}/mfa/reset/"
        assert client.get(url).status_code == 200  # MFA at sign-in is recent
        traveller.shift(timedelta(minutes=15, seconds=1))
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/2fa/reauthenticate/?next={quote(url, safe='')}"
        page = client.get(response["Location"])
        assert "Confirm it's you" in page.content.decode()
        traveller.shift(timedelta(seconds=30))
        response = client.post(
            "/accounts/2fa/reauthenticate/", {"code": totp_code(secret), "next": url}
        )
        assert response["Location"] == url
        assert client.get(url).status_code == 200


def test_a_refused_post_is_replayed_after_reauthentication(client, admin_user, learner):
    with time_machine.travel(START, tick=False):
        secret = enrol_totp(admin_user)
        enrol_totp(learner)
        client.force_login(admin_user)
        url = f"/account/users/{learner.public_id}/mfa/reset/"
        response = client.post(url)
        assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
        assert Authenticator.objects.filter(user=learner).exists()  # nothing happened yet
        response = client.post(
            "/accounts/2fa/reauthenticate/", {"code": totp_code(secret), "next": url}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/account/people/{learner.public_id}/"
    assert not Authenticator.objects.filter(user=learner).exists()


def test_without_a_second_factor_the_password_is_asked(client, admin_user, learner):
    client.force_login(admin_user)
    response = client.get(f"/account/users/{learner.public_id}/mfa/reset/")
    assert response["Location"].startswith("/accounts/reauthenticate/?next=")


def test_json_callers_get_a_403_instead_of_a_page(client, admin_user, learner):
    client.force_login(admin_user)
    response = client.get(
        f"/account/users/{learner.public_id}/mfa/reset/", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"


# --- Admin reset ----------------------------------------------------------------------------------


def test_an_admin_resets_a_users_mfa_from_the_page(client, admin_user, learner):
    enrol_totp(learner)
    enable_code_method(learner, "sms", phone="+447700900123")
    client.force_login(admin_user)
    mark_recent_mfa(client, admin_user, method="password")
    url = f"/account/users/{learner.public_id}/mfa/reset/"
    page = client.get(url).content.decode()
    assert "the authenticator app" in page
    assert "a number ending in 123" in page
    assert Authenticator.objects.filter(user=learner).count() == 2  # the GET changed nothing
    response = client.post(url)
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=learner).exists()
    assert not OneTimeCodeMethod.objects.filter(user=learner).exists()
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.category == "authentication"
    assert event.actor == admin_user
    assert event.target_id == learner.public_id
    assert event.details == {"removed": ["recovery_codes", "totp", "sms_code"]}


def test_only_user_managers_may_reset(client, learner, outsider):
    enrol_totp(learner)
    client.force_login(outsider)
    mark_recent_mfa(client, outsider, method="password")
    url = f"/account/users/{learner.public_id}/mfa/reset/"
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Authenticator.objects.filter(user=learner).exists()
    anonymous = Client()
    assert anonymous.post(url)["Location"].startswith("/accounts/login/")
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()


def test_security_officers_may_reset(client, learner):
    officer = UserFactory(email="officer@example.org", site_roles=["security_officer"])
    enrol_totp(learner)
    client.force_login(officer)
    mark_recent_mfa(client, officer, method="password")
    assert client.post(f"/account/users/{learner.public_id}/mfa/reset/").status_code == 302
    assert not Authenticator.objects.filter(user=learner).exists()


def test_resetting_an_unknown_user_is_404(client, admin_user):
    client.force_login(admin_user)
    mark_recent_mfa(client, admin_user, method="password")
    assert client.post("/account/users/usr_nobody/mfa/reset/").status_code == 404


def test_the_cli_shows_and_resets_a_users_mfa(learner, capsys):
    enrol_totp(learner)
    call_command("mfa", "status", "--email", learner.email.upper())
    out = capsys.readouterr().out
    assert "authenticator app, recovery codes (8/8 left)" in out
    assert "not required" in out
    call_command("mfa", "reset", "--email", learner.email)
    assert "Removed from learner@example.org: recovery_codes, totp." in capsys.readouterr().out
    assert not Authenticator.objects.filter(user=learner).exists()
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.actor is None


def test_the_cli_refuses_an_unknown_email(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user with the email address"):
        call_command("mfa", "reset", "--email", "nobody@example.org")
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()
