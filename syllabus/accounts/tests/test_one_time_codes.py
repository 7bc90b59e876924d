"""One-time codes by email and SMS as second factors: enrolment, sign-in, confirming it is
you; 6 digits, 10 minutes, at most 5 tries, single use, stored hashed, sends throttled."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, RequestFactory

from syllabus.accounts import one_time_codes as codes
from syllabus.accounts.models import OneTimeCodeMethod
from syllabus.accounts.tests.mfa_helpers import enable_code_method, mark_recent_mfa, sign_in
from syllabus.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = "+447700900123"


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def last_sms(capsys) -> str:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("SMS to")]
    assert lines, "no SMS was sent"
    return lines[-1]


def is_signed_in(client: Client) -> bool:
    return client.get("/account/sessions/").status_code == 200


# --- Codes --------------------------------------------------------------------------------------


def session_request(user):
    request = RequestFactory().get("/")
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    request.user = user
    return request


def test_a_code_is_six_digits_stored_only_as_a_hash(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    request = session_request(learner)
    with django_capture_on_commit_callbacks(execute=True):
        codes.code_send(request, user=learner, channel="email", purpose=codes.PURPOSE_SIGN_IN)
    code = code_in(mailoutbox[0].body)
    stored = str(request.session[codes.SESSION_KEY])
    assert code not in stored
    assert mailoutbox[0].to == [learner.email]
    assert "expires in 10 minutes" in mailoutbox[0].body


def test_a_code_works_once_and_only_for_its_purpose(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    request = session_request(learner)
    with django_capture_on_commit_callbacks(execute=True):
        codes.code_send(request, user=learner, channel="email", purpose=codes.PURPOSE_ENROL)
    code = code_in(mailoutbox[0].body)
    assert codes.code_verify(request, user=learner, code=code, purpose="sign_in") is None
    assert codes.code_verify(request, user=learner, code=code, purpose="enrol") is not None
    assert codes.code_verify(request, user=learner, code=code, purpose="enrol") is None


def test_a_code_expires_after_ten_minutes(learner, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False) as traveller:
        request = session_request(learner)
        with django_capture_on_commit_callbacks(execute=True):
            codes.code_send(request, user=learner, channel="email", purpose="enrol")
        code = code_in(mailoutbox[0].body)
        traveller.shift(timedelta(minutes=10, seconds=1))
        assert codes.code_verify(request, user=learner, code=code, purpose="enrol") is None


def test_a_code_allows_at_most_five_tries(learner, mailoutbox, django_capture_on_commit_callbacks):
    request = session_request(learner)
    with django_capture_on_commit_callbacks(execute=True):
        codes.code_send(request, user=learner, channel="email", purpose="enrol")
    code = code_in(mailoutbox[0].body)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert codes.code_verify(request, user=learner, code=wrong, purpose="enrol") is None
    assert codes.code_verify(request, user=learner, code=code, purpose="enrol") is None


def test_sends_are_throttled_per_user(learner, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False) as traveller:
        request = session_request(learner)
        with django_capture_on_commit_callbacks(execute=True):
            codes.code_send(request, user=learner, channel="email", purpose="enrol")
            with pytest.raises(codes.CodeSendRefused, match="less than 30 seconds"):
                codes.code_send(request, user=learner, channel="email", purpose="enrol")
            for _ in range(4):
                traveller.shift(timedelta(seconds=31))
                codes.code_send(request, user=learner, channel="email", purpose="enrol")
            traveller.shift(timedelta(seconds=31))
            with pytest.raises(codes.CodeSendRefused, match="Too many codes"):
                codes.code_send(request, user=learner, channel="email", purpose="enrol")
    assert len(mailoutbox) == 5


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("+44 7700 900123", PHONE),
        ("0044 (7700) 900-123", PHONE),
        ("+1.415.555.0100", "+14155550100"),
    ],
)
def test_phone_numbers_are_normalised(typed, number):
    assert codes.normalise_phone(typed) == number


@pytest.mark.parametrize("typed", ["07700900123", "+0 123", "phone", "", "+12"])
def test_phone_numbers_not_in_international_format_are_refused(typed):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="international format"):
        codes.normalise_phone(typed)


# --- Enrolment ----------------------------------------------------------------------------------


def test_turning_on_email_codes(client, learner, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    page = client.get("/account/security/codes/email/").content.decode()
    assert "Email me a code" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/security/codes/email/", {"action": "send"})
    assert response.status_code == 302
    page = client.get("/account/security/codes/email/").content.decode()
    assert "Step 2 of 2" in page
    code = code_in(mailoutbox[0].body)
    response = client.post("/account/security/codes/email/", {"action": "verify", "code": code})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    method = OneTimeCodeMethod.objects.get(user=learner, channel="email")
    assert method.verified_at is not None
    event = AuditEvent.objects.get(action="auth.mfa_enrolled")
    assert event.details == {"type": "email_code"}


def test_turning_on_sms_codes(client, learner, capsys, django_capture_on_commit_callbacks):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/security/codes/sms/", {"action": "send", "phone": "+44 7700 900123"})
    sms = last_sms(capsys)
    assert sms.startswith(f"SMS to {PHONE}: Your Syllabus code to confirm this address is ")
    client.post("/account/security/codes/sms/", {"action": "verify", "code": code_in(sms)})
    learner.refresh_from_db()
    assert learner.phone_number == PHONE
    assert OneTimeCodeMethod.objects.filter(user=learner, channel="sms").exists()


def test_a_bad_phone_number_is_refused_and_nothing_is_sent(client, learner, capsys):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    response = client.post("/account/security/codes/sms/", {"action": "send", "phone": "0770"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "international format" in html
    assert 'aria-invalid="true"' in html
    assert "SMS to" not in capsys.readouterr().out
    assert codes.SESSION_KEY not in client.session


def test_a_wrong_enrolment_code_turns_nothing_on(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/security/codes/email/", {"action": "send"})
    response = client.post("/account/security/codes/email/", {"action": "verify", "code": "12345"})
    assert response.status_code == 400
    assert "Enter the 6 digits" in response.content.decode()
    response = client.post("/account/security/codes/email/", {"action": "verify", "code": "000000"})
    assert response.status_code == 400
    assert not OneTimeCodeMethod.objects.filter(user=learner).exists()
    assert not AuditEvent.objects.filter(action="auth.mfa_enrolled").exists()


def test_an_unknown_channel_or_action_is_refused(client, learner):
    client.force_login(learner)
    mark_recent_mfa(client, learner, method="password")
    assert client.get("/account/security/codes/fax/").status_code == 404
    assert client.post("/account/security/codes/email/", {"action": "x"}).status_code == 400


def test_turning_codes_off_is_confirmed_and_audited(client, learner):
    enable_code_method(learner, "email")
    client.force_login(learner)
    mark_recent_mfa(client, learner)
    assert client.get("/account/security/codes/email/remove/").status_code == 200
    assert OneTimeCodeMethod.objects.filter(user=learner).exists()  # the GET changed nothing
    response = client.post("/account/security/codes/email/remove/")
    assert response.status_code == 302
    assert not OneTimeCodeMethod.objects.filter(user=learner).exists()
    assert AuditEvent.objects.get(action="auth.mfa_removed").details == {"type": "email_code"}


# --- Signing in and confirming it is you with a code ----------------------------------------------


def test_signing_in_with_a_code_by_email(learner, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        enable_code_method(learner, "email")
        client = Client()
        response = sign_in(client, learner.email)
        assert response["Location"] == "/accounts/2fa/authenticate/"
        page = client.get("/accounts/2fa/authenticate/").content.decode()
        assert "Send a code to l…@example.org" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/account/mfa/code/send/", {"channel": "email"})
        assert response["Location"] == "/accounts/2fa/authenticate/"
        assert "We sent a code" in client.get("/accounts/2fa/authenticate/").content.decode()
        code = code_in(mailoutbox[0].body)
        assert "sign-in code" in mailoutbox[0].body
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
        assert response.status_code == 302
        assert is_signed_in(client)
        records = client.session["account_authentication_methods"]
        assert records[-1]["type"] == "email_code"


def test_signing_in_with_a_code_by_sms(learner, capsys, django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False):
        enable_code_method(learner, "sms", phone=PHONE)
        client = Client()
        sign_in(client, learner.email)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/account/mfa/code/send/", {"channel": "sms"})
        code = code_in(last_sms(capsys))
        client.post("/accounts/2fa/authenticate/", {"code": code})
        assert is_signed_in(client)
        # the code was used up
        other = Client()
        sign_in(other, learner.email)
        assert other.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 400
        assert not is_signed_in(other)


def test_a_code_cannot_be_sent_without_the_password_step(client, learner, mailoutbox):
    enable_code_method(learner, "email")
    response = client.post("/account/mfa/code/send/", {"channel": "email"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert mailoutbox == []


def test_a_code_is_not_sent_by_a_method_the_user_lacks(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    enable_code_method(learner, "email")
    sign_in(client, learner.email)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/mfa/code/send/", {"channel": "sms"})
    assert mailoutbox == []
    assert codes.SESSION_KEY not in client.session


def test_confirming_it_is_you_with_a_code(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    enable_code_method(learner, "email")
    client.force_login(learner)
    # a sensitive page asks for a recent check; this user's factor is email codes
    response = client.get("/account/security/codes/sms/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/mfa/reauthenticate/?next=")
    page = client.get(response["Location"]).content.decode()
    assert "Send a code to l…@example.org" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/account/mfa/reauthenticate/",
            {"action": "send", "channel": "email", "next": "/account/security/codes/sms/"},
        )
    code = code_in(mailoutbox[0].body)
    wrong = client.post(
        "/account/mfa/reauthenticate/",
        {"action": "verify", "code": "000000", "next": "/account/security/codes/sms/"},
    )
    assert wrong.status_code == 400
    response = client.post(
        "/account/mfa/reauthenticate/",
        {"action": "verify", "code": code, "next": "/account/security/codes/sms/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/security/codes/sms/"
    assert client.get("/account/security/codes/sms/").status_code == 200
