"""MFA with allauth.mfa: TOTP with a server-rendered QR code, the seed's 8 recovery codes
(not stored in clear, single use), WebAuthn security keys and passkeys, sign-in with a
second factor, replayed and wrong codes, and audit events for enrolment and removal."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.test import Client, override_settings

from syllabus.accounts.mfa import user_has_mfa, verify_second_factor
from syllabus.accounts.mfa_adapter import MfaAdapter, legacy_encrypt
from syllabus.accounts.models import OneTimeCodeMethod
from syllabus.accounts.tests.mfa_helpers import (
    enable_code_method,
    enrol_totp,
    mark_recent_mfa,
    recovery_codes,
    sign_in,
    totp_code,
)
from syllabus.audit.models import AuditEvent
from syllabus.core.crypto import TamperedValue, generate_key

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-second TOTP step


def is_signed_in(client: Client) -> bool:
    return client.get("/account/sessions/").status_code == 200


# --- The interface the token endpoint uses -------------------------------------------------------


def test_user_has_mfa_counts_totp_keys_and_confirmed_code_methods(learner, outsider):
    assert not user_has_mfa(learner)
    enrol_totp(learner)
    assert user_has_mfa(learner)
    OneTimeCodeMethod.objects.create(user=outsider, channel="email")  # not confirmed
    assert not user_has_mfa(outsider)
    enable_code_method(outsider, "email")
    assert user_has_mfa(outsider)


def test_recovery_codes_alone_are_not_a_second_factor(learner):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(learner)
    assert not user_has_mfa(learner)


def test_verify_second_factor_refuses_a_replayed_totp_code(learner):
    with time_machine.travel(START, tick=False):
        secret = enrol_totp(learner)
        code = totp_code(secret)
        assert verify_second_factor(user=learner, code=code) is True
        assert verify_second_factor(user=learner, code=code) is False  # replay in its step
        assert verify_second_factor(user=learner, code=totp_code(secret, steps=1)) is False


def test_verify_second_factor_consumes_a_recovery_code_once(learner):
    enrol_totp(learner)
    codes = recovery_codes(learner)
    assert len(codes) == 8  # the seed's 8 backup codes
    assert verify_second_factor(user=learner, code=codes[3]) is True
    assert verify_second_factor(user=learner, code=codes[3]) is False
    assert len(recovery_codes(learner)) == 7
    assert verify_second_factor(user=learner, code=codes[4]) is True


@pytest.mark.parametrize("code", ["", "123456", "x" * 100, "12345678", "   "])
def test_verify_second_factor_refuses_wrong_input_and_changes_nothing(learner, code):
    enrol_totp(learner)
    before = recovery_codes(learner)
    assert verify_second_factor(user=learner, code=code) is False
    assert recovery_codes(learner) == before


def test_secrets_are_not_stored_in_clear(learner):
    secret = enrol_totp(learner)
    codes = recovery_codes(learner)
    stored = json.dumps(list(Authenticator.objects.filter(user=learner).values("data")))
    assert secret not in stored
    assert not any(code in stored for code in codes)
    totp = Authenticator.objects.get(user=learner, type="totp")
    assert totp.data["secret"].startswith("fe1:test2:")  # the field key ring's current key
    seed = Authenticator.objects.get(user=learner, type="recovery_codes").data["seed"]
    assert seed.startswith("fe1:test2:")


def test_encryption_round_trips_and_follows_key_rotation(settings):
    adapter = MfaAdapter()
    sealed = adapter.encrypt("JBSWY3DPEHPK3PXP")
    assert sealed != adapter.encrypt("JBSWY3DPEHPK3PXP")  # a fresh nonce each time
    assert adapter.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
    assert adapter.decrypt("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"  # written in clear
    # a new current key in front of the ring: older values still open
    settings.FIELD_KEYS = f"new:{generate_key()},{settings.FIELD_KEYS}"
    assert adapter.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
    assert adapter.encrypt("JBSWY3DPEHPK3PXP").startswith("fe1:new:")


def test_secrets_written_before_the_key_ring_are_still_read(settings):
    legacy = legacy_encrypt("JBSWY3DPEHPK3PXP")
    assert legacy.startswith("aesgcm1:")
    assert MfaAdapter().decrypt(legacy) == "JBSWY3DPEHPK3PXP"
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert MfaAdapter().decrypt(legacy) == "JBSWY3DPEHPK3PXP"


def test_a_tampered_secret_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    sealed = MfaAdapter().encrypt("JBSWY3DPEHPK3PXP")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(TamperedValue, match="mfa_authenticator.data"):
        MfaAdapter().decrypt(tampered)
    legacy = legacy_encrypt("JBSWY3DPEHPK3PXP")
    with pytest.raises(ImproperlyConfigured):
        MfaAdapter().decrypt(legacy[:-4] + ("AAAA" if not legacy.endswith("AAAA") else "BBBB"))


# --- TOTP enrolment through the pages -----------------------------------------------------------


def test_enrolling_an_authenticator_app_with_a_server_rendered_qr_code(
    client, learner, django_capture_on_commit_callbacks
):
    # given a signed-in user who recently confirmed it is them
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    # when they open the page
    page = client.get("/accounts/2fa/totp/activate/")
    # then the QR code is an inline SVG made on the server (nothing loaded from elsewhere)
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "data:image" not in html
    assert "http" not in html[html.index("<svg") : html.index("</svg>")].replace(
        "http://www.w3.org", ""
    )
    secret = client.session["mfa.totp.secret"]
    assert f'value="{secret}"' in html  # the setup key, for typing in
    assert 'aria-label="QR code' in html
    otpauth = get_adapter().build_totp_url(learner, secret)
    assert "issuer=Syllabus" in otpauth  # the issuer is SITE_NAME
    # when they type the code their app shows
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    # then the app is on, 8 recovery codes exist and are shown once
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user=learner, type="totp").exists()
    codes_page = client.get("/accounts/2fa/recovery-codes/").content.decode()
    codes = recovery_codes(learner)
    assert len(codes) == 8
    assert all(code in codes_page for code in codes)
    again = client.get("/accounts/2fa/recovery-codes/").content.decode()
    assert not any(code in again for code in codes)  # shown only once
    enrolled = AuditEvent.objects.filter(action="auth.mfa_enrolled").order_by("id")
    assert [event.details["type"] for event in enrolled] == ["totp", "recovery_codes"]
    assert all(event.category == "authentication" for event in enrolled)


def test_a_wrong_code_does_not_turn_the_app_on(client, learner):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    client.get("/accounts/2fa/totp/activate/")
    response = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert response.status_code == 400
    assert "Incorrect code" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Authenticator.objects.filter(user=learner).exists()
    assert not AuditEvent.objects.filter(action="auth.mfa_enrolled").exists()


def test_enrolment_asks_to_confirm_it_is_you_first(client, learner):
    client.force_login(learner)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_turning_the_app_off_is_audited(client, learner):
    enrol_totp(learner)
    client.force_login(learner)
    mark_recent_mfa(client, learner)
    assert client.get("/accounts/2fa/totp/deactivate/").status_code == 200
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=learner).exists()  # codes go with it
    removed = AuditEvent.objects.filter(action="auth.mfa_removed")
    assert sorted(event.details["type"] for event in removed) == ["recovery_codes", "totp"]


def test_regenerating_recovery_codes_invalidates_the_old_ones(
    client, learner, django_capture_on_commit_callbacks
):
    enrol_totp(learner)
    old = recovery_codes(learner)
    client.force_login(learner)
    mark_recent_mfa(client, learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert not set(old) & set(recovery_codes(learner))
    assert verify_second_factor(user=learner, code=old[0]) is False
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled", details__regenerated=True).exists()


def test_the_two_step_verification_page_lists_every_method(client, learner):
    enrol_totp(learner)
    enable_code_method(learner, "sms", phone="+447700900123")
    client.force_login(learner)
    html = client.get("/accounts/2fa/").content.decode()
    assert "Authenticator app" in html
    assert "Security keys and passkeys" in html
    assert "Codes by email" in html
    assert "Codes by text message" in html
    assert "a number ending in 123" in html
    assert "8 of 8 codes left" in html
    assert "/account/security/codes/email/" in html  # set up email codes
    assert "/account/security/codes/sms/remove/" in html  # turn SMS codes off


# --- Signing in with a second factor --------------------------------------------------------------


def test_signing_in_with_an_authenticator_code(client, learner):
    with time_machine.travel(START, tick=False):
        secret = enrol_totp(learner)
        # the password alone does not sign in: the second step is asked for
        response = sign_in(client, learner.email)
        assert response["Location"] == "/accounts/2fa/authenticate/"
        assert not is_signed_in(client)
        page = client.get("/accounts/2fa/authenticate/").content.decode()
        assert 'autocomplete="one-time-code"' in page
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302
        assert is_signed_in(client)
        records = client.session["account_authentication_methods"]
        assert [r["method"] for r in records] == ["password", "mfa"]


def test_a_replayed_totp_code_is_refused_at_sign_in(learner):
    with time_machine.travel(START, tick=False):
        secret = enrol_totp(learner)
        code = totp_code(secret)
        first = Client()
        sign_in(first, learner.email)
        first.post("/accounts/2fa/authenticate/", {"code": code})
        assert is_signed_in(first)
        # someone who saw the code uses it again within its 30 seconds
        second = Client()
        sign_in(second, learner.email)
        response = second.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code == 400
        assert "Incorrect code" in response.content.decode()
        assert not is_signed_in(second)
    failed = AuditEvent.objects.get(action="auth.login_failed", details__step="second_factor")
    assert failed.category == "authentication"
    assert failed.target_id == learner.public_id


def test_a_recovery_code_signs_in_once(learner):
    enrol_totp(learner)
    code = recovery_codes(learner)[0]
    first = Client()
    sign_in(first, learner.email)
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert is_signed_in(first)
    second = Client()
    sign_in(second, learner.email)
    response = second.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 400
    assert not is_signed_in(second)
    assert len(recovery_codes(learner)) == 7


def test_wrong_codes_count_toward_the_limit_and_change_nothing(learner):
    with time_machine.travel(START, tick=False):
        secret = enrol_totp(learner)
        before = recovery_codes(learner)
        client = Client()
        sign_in(client, learner.email)
        for _ in range(5):
            response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
            assert response.status_code == 400
        # the sixth attempt is refused even with the right code
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 400
        assert "Too many failed" in response.content.decode()
        assert not is_signed_in(client)
    assert recovery_codes(learner) == before
    assert AuditEvent.objects.filter(action="auth.login_failed").count() >= 5


def test_the_second_step_cannot_be_reached_without_the_password(client, learner):
    enrol_totp(learner)
    response = client.get("/accounts/2fa/authenticate/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    response = client.post("/accounts/2fa/authenticate/", {"code": "123456"})
    assert response.status_code == 302
    assert not is_signed_in(client)


# --- WebAuthn: security keys and passkeys (no real authenticator here) ----------------------------


def test_adding_a_security_key_begins_a_webauthn_registration(client, learner):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    response = client.get("/accounts/2fa/webauthn/add/")
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'<script id="js_data" type="application/json">(.*?)</script>', html)
    assert match
    data = json.loads(match.group(1))
    options = data["creation_options"]["publicKey"]
    assert options["rp"] == {"id": "testserver", "name": "Syllabus"}
    assert options["user"]["name"] == learner.email
    assert options["challenge"]
    assert "mfa.webauthn.state" in client.session  # the challenge is kept server side
    assert 'id="mfa_webauthn_add"' in html
    assert "passkey" in html.lower()
    assert "mfa/js/webauthn.js" in html


def test_a_forged_webauthn_credential_is_refused_and_adds_nothing(client, learner):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    client.get("/accounts/2fa/webauthn/add/")
    forged = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}
    response = client.post(
        "/accounts/2fa/webauthn/add/", {"name": "Key", "credential": json.dumps(forged)}
    )
    assert response.status_code == 400
    assert not Authenticator.objects.filter(user=learner).exists()


def test_passkey_sign_in_offers_a_challenge(client):
    response = client.get("/accounts/2fa/webauthn/login/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["request_options"]["publicKey"]["challenge"]


@override_settings(MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN=False)
def test_webauthn_pages_list_keys(client, learner):
    client.force_login(learner)
    mark_recent_mfa(client, learner)
    html = client.get("/accounts/2fa/webauthn/").content.decode()
    assert "You have not added a security key or passkey." in html


def test_mfa_settings_follow_the_seed():
    from django.conf import settings

    assert settings.MFA_RECOVERY_CODE_COUNT == 8
    assert "webauthn" in settings.MFA_SUPPORTED_TYPES
    assert settings.MFA_PASSKEY_LOGIN_ENABLED is True
    assert settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is False  # production mode in tests
    assert settings.MFA_TOTP_ISSUER == settings.SITE_NAME


def test_totp_step_tolerance_is_zero(learner):
    with time_machine.travel(START, tick=False) as traveller:
        secret = enrol_totp(learner)
        code = totp_code(secret)
        traveller.shift(timedelta(seconds=30))
        assert verify_second_factor(user=learner, code=code) is False


def test_after_the_failure_window_the_right_code_works_again(learner):
    with time_machine.travel(START, tick=False) as traveller:
        secret = enrol_totp(learner)
        client = Client()
        sign_in(client, learner.email)
        for _ in range(5):
            client.post("/accounts/2fa/authenticate/", {"code": "000000"})
        traveller.shift(timedelta(minutes=5, seconds=1))
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
        assert response.status_code == 302
        assert is_signed_in(client)
