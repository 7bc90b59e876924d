"""Sessions and MFA over the API: list and sign out sessions, see your MFA, reset a person's."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from syllabus.accounts.models import UserSession
from syllabus.accounts.tests.mfa_helpers import (
    enable_code_method,
    enrol_totp,
    mark_recent_mfa,
    sign_in,
    totp_code,
)
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def bearer(user, scopes=()):
    new = token_create(actor=user, user=user, name="script", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {new.plain}"}


def test_listing_sessions_marks_the_current_one(learner):
    browser, other = Client(HTTP_USER_AGENT=FIREFOX), Client()
    sign_in(browser, learner.email)
    sign_in(other, learner.email)
    response = browser.get("/api/v1/auth/sessions")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 2
    assert [row["current"] for row in rows if row["device"] == "Firefox on Linux"] == [True]
    # with a token no session is "current"
    with_token = Client().get("/api/v1/auth/sessions", **bearer(learner))
    assert [row["current"] for row in with_token.json()] == [False, False]


def test_signing_out_another_session_by_api(learner):
    browser, other = Client(), Client(HTTP_USER_AGENT=FIREFOX)
    sign_in(browser, learner.email)
    sign_in(other, learner.email)
    target = UserSession.objects.get(device="Firefox on Linux")
    response = browser.post(f"/api/v1/auth/sessions/{target.pk}/revoke")
    assert response.status_code == 204
    assert other.get("/api/v1/auth/sessions").status_code == 401
    assert AuditEvent.objects.filter(action="auth.session_revoked").count() == 1


def test_the_current_session_and_strangers_sessions_are_refused(learner, outsider):
    browser, stranger = Client(), Client()
    sign_in(browser, learner.email)
    sign_in(stranger, outsider.email)
    mine = UserSession.objects.get(user=learner)
    response = browser.post(f"/api/v1/auth/sessions/{mine.pk}/revoke")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    response = stranger.post(f"/api/v1/auth/sessions/{mine.pk}/revoke")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert UserSession.objects.filter(pk=mine.pk).exists()
    assert not AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_signing_out_all_other_sessions_by_api(learner):
    clients = [Client() for _ in range(3)]
    for client in clients:
        sign_in(client, learner.email)
    response = clients[0].post("/api/v1/auth/sessions/revoke-others")
    assert response.json() == {"signed_out": 2}
    assert UserSession.objects.filter(user=learner).count() == 1


def test_csrf_is_required_for_session_posts(learner):
    other = Client()
    sign_in(other, learner.email)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(learner)
    response = browser.post("/api/v1/auth/sessions/revoke-others")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert UserSession.objects.filter(user=learner).count() == 2


def test_my_mfa_lists_methods_and_policy(client, learner):
    enrol_totp(learner)
    enable_code_method(learner, "email")
    client.force_login(learner)
    data = client.get("/api/v1/auth/mfa").json()
    assert data["has_mfa"] is True
    assert [m["kind"] for m in data["methods"]] == ["totp", "email_code"]
    assert data["methods"][1]["detail"] == "l…@example.org"
    assert data["recovery_codes_left"] == 8
    assert data["required"] is False
    assert data["enforced"] is False


def test_anonymous_calls_are_refused(client):
    for path in ("/api/v1/auth/sessions", "/api/v1/auth/mfa"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_resetting_mfa_by_api_needs_the_permission_and_a_recent_check(admin_user, learner):
    enrol_totp(learner)
    url = f"/api/v1/people/{learner.public_id}/mfa/reset"
    # a person without user.manage
    outsider_client = Client()
    outsider_client.force_login(learner)
    assert outsider_client.post(url).status_code == 403
    # an admin whose session has not passed MFA recently
    admin_client = Client()
    admin_client.force_login(admin_user)
    enrol_totp(admin_user)
    response = admin_client.post(url)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    assert Authenticator.objects.filter(user=learner).exists()
    # after a second-factor check
    mark_recent_mfa(admin_client, admin_user)
    response = admin_client.post(url)
    assert response.status_code == 200
    assert response.json() == {"removed": ["recovery_codes", "totp"]}
    assert not Authenticator.objects.filter(user=learner).exists()
    assert AuditEvent.objects.get(action="auth.mfa_reset").actor == admin_user


def test_a_token_resets_mfa_with_a_current_code(admin_user, learner):
    enrol_totp(learner)
    secret = enrol_totp(admin_user)
    headers = bearer(admin_user, scopes=["user.manage"])
    url = f"/api/v1/people/{learner.public_id}/mfa/reset"
    assert Client().post(url, **headers).status_code == 403
    response = Client().post(url, HTTP_X_MFA_CODE=totp_code(secret), **headers)
    assert response.status_code == 200
    # a token without the scope cannot, code or not
    enrol_totp(learner)
    narrow = bearer(admin_user)
    assert (
        Client().post(url, HTTP_X_MFA_CODE=totp_code(secret, steps=1), **narrow).status_code == 403
    )


def test_resetting_an_unknown_person_is_404(client, admin_user):
    client.force_login(admin_user)
    mark_recent_mfa(client, admin_user, method="password")
    response = client.post("/api/v1/people/usr_nobody/mfa/reset")
    assert response.status_code == 404
