"""API authentication: sessions with CSRF, bearer tokens, POST /api/v1/auth/token and the
token endpoints; every refused request answers JSON with a code and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

import pytest
import time_machine
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client, override_settings
from django.utils import timezone

from syllabus.accounts.models import ApiToken, User
from syllabus.accounts.tokens import token_create, token_revoke
from syllabus.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(**fields: Any) -> User:
    return cast(User, UserFactory(**fields))


def post_json(client: Client, path: str, body: Any, **extra: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", **extra)


def bearer(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def snapshot() -> tuple[int, int]:
    return ApiToken.objects.count(), AuditEvent.objects.count()


def current_totp() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(timezone.now().timestamp()) // 30))


@pytest.fixture
def manager(db):
    return make_user(email="manager@example.org", site_roles=["manager"])


# --- Which requests are authenticated ------------------------------------------------------


def test_an_anonymous_request_gets_401_not_authenticated(client):
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication is required.", "code": "not_authenticated"}


def test_version_and_the_api_docs_stay_public(client):
    assert client.get("/api/v1/version").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_a_session_request_is_authenticated(client, manager):
    client.force_login(manager)
    body = client.get("/api/v1/auth/me").json()
    assert body["email"] == "manager@example.org"
    assert body["roles"] == ["manager"]
    assert "enrolment.manage" in body["permissions"]
    assert body["token"] is None


def test_a_bearer_request_is_authenticated_and_limited_to_its_scopes(client, manager):
    new = token_create(actor=manager, user=manager, name="x", scopes=["grade.view"])
    body = client.get("/api/v1/auth/me", **bearer(new.plain)).json()
    assert body["public_id"] == manager.public_id
    assert body["permissions"] == ["grade.view"]
    assert body["token"]["public_id"] == new.token.public_id
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None
    assert new.token.last_used_ip == "127.0.0.1"


@pytest.mark.parametrize(
    ("prepare", "code"),
    [
        ("expired", "token_expired"),
        ("revoked", "token_revoked"),
        ("forged", "token_invalid"),
        ("garbage", "token_invalid"),
    ],
)
def test_bad_bearer_tokens_get_401_with_a_code_and_change_nothing(client, manager, prepare, code):
    # given
    if prepare == "expired":
        with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
            plain = token_create(actor=manager, user=manager, name="x", scopes=[], days=1).plain
    elif prepare == "revoked":
        new = token_create(actor=manager, user=manager, name="x", scopes=[])
        token_revoke(actor=manager, token=new.token)
        plain = new.plain
    elif prepare == "forged":
        real = token_create(actor=manager, user=manager, name="x", scopes=[]).plain
        plain = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    else:
        plain = "not a token at all"
    before = snapshot()
    # when
    response = post_json(client, "/api/v1/auth/tokens", {"name": "more"}, **bearer(plain))
    # then
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert snapshot() == before


def test_a_bearer_header_is_never_mixed_with_the_session(client, manager):
    # A signed-in browser sending a bad token is refused, not let in by its cookie.
    client.force_login(manager)
    response = client.get("/api/v1/auth/me", **bearer("syl_forged"))
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


# --- CSRF ----------------------------------------------------------------------------------------


def test_a_session_write_without_csrf_is_refused_and_creates_nothing(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    before = snapshot()
    response = post_json(client, "/api/v1/auth/tokens", {"name": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert snapshot() == before


def test_a_session_write_with_csrf_works(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    client.get("/account/tokens/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = post_json(client, "/api/v1/auth/tokens", {"name": "x"}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


def test_a_bearer_write_needs_no_csrf(manager):
    client = Client(enforce_csrf_checks=True)
    plain = token_create(actor=manager, user=manager, name="x", scopes=["grade.view"]).plain
    response = post_json(client, "/api/v1/auth/tokens", {"name": "child"}, **bearer(plain))
    assert response.status_code == 201


# --- POST /api/v1/auth/token --------------------------------------------------------------------


def test_sign_in_returns_a_token_with_the_user_s_permissions(client, manager):
    # when
    response = post_json(
        client, "/api/v1/auth/token", {"email": "Manager@Example.org", "password": PASSWORD}
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    token = ApiToken.objects.get()
    assert token.name == f"API sign-in {timezone.localdate().isoformat()}"
    assert token.scopes == [
        "course.view_learners",
        "enrolment.manage",
        "grade.view",
        "access_review.run",
    ]
    assert abs(token.expires_at - timezone.now() - timedelta(days=90)) < timedelta(minutes=1)
    me = client.get("/api/v1/auth/me", **bearer(body["token"])).json()
    assert me["email"] == "manager@example.org"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.login", "auth.token_created"} <= actions


def test_unknown_email_and_wrong_password_get_the_same_answer(client, manager):
    before = snapshot()
    wrong = post_json(client, "/api/v1/auth/token", {"email": manager.email, "password": "nope"})
    unknown = post_json(
        client, "/api/v1/auth/token", {"email": "nobody@example.org", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    assert ApiToken.objects.count() == before[0]


def test_lockout_applies_to_the_token_endpoint(client, manager):
    # given: five wrong passwords lock the account
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            response = post_json(
                client, "/api/v1/auth/token", {"email": manager.email, "password": "wrong"}
            )
            assert response.json()["code"] == "invalid_credentials"
        # when: the right password, sixth attempt
        locked = post_json(
            client, "/api/v1/auth/token", {"email": manager.email, "password": PASSWORD}
        )
        unknown = post_json(
            client, "/api/v1/auth/token", {"email": "nobody@example.org", "password": "x"}
        )
    # then: refused, exactly like a wrong password or an unknown account
    assert locked.status_code == 401
    assert locked.json() == unknown.json()
    assert not ApiToken.objects.exists()
    # and after the lockout period, the account works again
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        response = post_json(
            client, "/api/v1/auth/token", {"email": manager.email, "password": PASSWORD}
        )
    assert response.status_code == 200


def test_a_deactivated_account_gets_invalid_credentials(client, manager):
    manager.is_active = False
    manager.save()
    response = post_json(
        client, "/api/v1/auth/token", {"email": manager.email, "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_an_account_with_mfa_needs_a_code(client, manager):
    TOTP.activate(manager, TOTP_SECRET)
    url, creds = "/api/v1/auth/token", {"email": manager.email, "password": PASSWORD}
    # no code
    response = post_json(client, url, creds)
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_required"
    # a wrong code
    response = post_json(client, url, {**creds, "otp_code": "000000"})
    assert response.json()["code"] == "mfa_required"
    assert not ApiToken.objects.exists()
    # the current code
    code = current_totp()
    assert post_json(client, url, {**creds, "otp_code": code}).status_code == 200
    # the same code again (replay) is refused
    replay = post_json(client, url, {**creds, "otp_code": code})
    assert replay.status_code == 401
    assert replay.json()["code"] == "mfa_required"
    assert ApiToken.objects.count() == 1


def test_a_recovery_code_works_once(client, manager):
    TOTP.activate(manager, TOTP_SECRET)
    code = RecoveryCodes.activate(manager).get_unused_codes()[0]
    url = "/api/v1/auth/token"
    creds = {"email": manager.email, "password": PASSWORD, "otp_code": code}
    assert post_json(client, url, creds).status_code == 200
    reused = post_json(client, url, creds)
    assert reused.status_code == 401
    assert reused.json()["code"] == "mfa_required"
    assert ApiToken.objects.count() == 1


def test_an_account_past_its_mfa_grace_period_must_enrol_first(client):
    admin = make_user(email="boss@example.org", site_roles=["admin"])
    User.objects.filter(pk=admin.pk).update(mfa_required_since=timezone.now() - timedelta(days=8))
    response = post_json(client, "/api/v1/auth/token", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "mfa_enrolment_required"
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_its_owner_must_enrol_in_mfa(client):
    # given: an administrator's token, then the MFA grace period runs out
    admin = make_user(email="boss@example.org", site_roles=["admin"])
    plain = token_create(actor=admin, user=admin, name="x", scopes=[]).plain
    User.objects.filter(pk=admin.pk).update(mfa_required_since=timezone.now() - timedelta(days=8))
    # when / then
    response = client.get("/api/v1/auth/me", **bearer(plain))
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_enrolment_required"
    # once a second factor is set up, the token works again
    TOTP.activate(admin, TOTP_SECRET)
    assert client.get("/api/v1/auth/me", **bearer(plain)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.org"},
        {"password": "x"},
        {"email": "a@example.org", "password": 12},
        {"email": "a" * 300, "password": "x"},
        [],
    ],
)
def test_invalid_sign_in_bodies_get_422_and_write_nothing(client, body):
    before = snapshot()
    response = post_json(client, "/api/v1/auth/token", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert snapshot() == before


def test_malformed_json_gets_400_invalid_json_and_writes_nothing(client):
    before = snapshot()
    response = client.post(
        "/api/v1/auth/token", data='{"email": "a@', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "code": "invalid_json",
    }
    assert snapshot() == before


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_oversized_body_gets_413_too_large_and_writes_nothing(client, manager):
    plain = token_create(actor=manager, user=manager, name="x", scopes=[]).plain
    before = snapshot()
    response = post_json(
        client, "/api/v1/auth/tokens", {"name": "x", "scopes": ["a" * 2000]}, **bearer(plain)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert snapshot() == before


# --- Managing one's tokens through the API ----------------------------------------------------


def test_create_list_and_revoke_own_tokens(client, manager):
    client.force_login(manager)
    # create
    response = post_json(
        client, "/api/v1/auth/tokens", {"name": "CI", "scopes": ["grade.view"], "days": 7}
    )
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith("syl_")
    assert created["scopes"] == ["grade.view"]
    assert created["status"] == "active"
    # list (never shows the secret)
    listed = client.get("/api/v1/auth/tokens").json()
    assert [t["public_id"] for t in listed] == [created["public_id"]]
    assert "token" not in listed[0]
    # revoke
    response = client.delete(f"/api/v1/auth/tokens/{created['public_id']}")
    assert response.status_code == 204
    assert client.get("/api/v1/auth/tokens").json()[0]["status"] == "revoked"
    assert client.get("/api/v1/auth/me", **bearer(created["token"])).status_code == 401
    assert AuditEvent.objects.filter(action="auth.token_revoked").count() == 1


def test_someone_else_s_tokens_are_invisible(client, manager, outsider):
    mine = token_create(actor=manager, user=manager, name="x", scopes=[])
    client.force_login(outsider)
    assert client.get("/api/v1/auth/tokens").json() == []
    response = client.delete(f"/api/v1/auth/tokens/{mine.token.public_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert ApiToken.objects.get().revoked_at is None


def test_creating_a_token_beyond_one_s_permissions_gets_422(client, manager):
    client.force_login(manager)
    before = snapshot()
    response = post_json(client, "/api/v1/auth/tokens", {"name": "x", "scopes": ["user.manage"]})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "user.manage cannot be given" in response.json()["detail"]
    assert snapshot() == before


def test_a_token_cannot_create_a_wider_token(client, manager):
    plain = token_create(actor=manager, user=manager, name="x", scopes=["grade.view"]).plain
    response = post_json(
        client,
        "/api/v1/auth/tokens",
        {"name": "wider", "scopes": ["grade.view", "enrolment.manage"]},
        **bearer(plain),
    )
    assert response.status_code == 422
    assert ApiToken.objects.count() == 1


# --- OpenAPI ------------------------------------------------------------------------------------


def test_the_schema_documents_the_token_endpoint_and_the_auth_schemes(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/auth/token"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "422", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/TokenSignIn")
    sign_in = schema["components"]["schemas"]["TokenSignIn"]
    assert set(sign_in["properties"]) == {"email", "password", "otp_code"}
    assert set(sign_in["required"]) == {"email", "password"}
    assert "security" not in operation  # public
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionWithCsrf"]["in"] == "cookie"
    me = schema["paths"]["/api/v1/auth/me"]["get"]
    assert me["security"] == [{"BearerToken": []}, {"SessionWithCsrf": []}]
