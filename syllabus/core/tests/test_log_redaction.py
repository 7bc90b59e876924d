"""No secret reaches the logs, whichever path it travels; every line has the issue's fields.

Passwords (sign-in form, token endpoint), API tokens (issued, then sent as bearer, and a
refused one), session and other cookies, MFA codes, an encrypted field's value (the TOTP
secret, in clear and as stored), and an exception whose locals and message hold a secret
all go through the app with every logger at DEBUG; the captured output is then searched.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from syllabus.accounts.tests.mfa_helpers import enrol_totp, totp_code
from syllabus.core.logging import build_formatter, redact_sensitive
from syllabus.core.tests.urls_log_redaction import BOOM_SECRET
from tests.factories import PASSWORD, UserFactory

WRONG_PASSWORD = "Wrong-Password-Secret-777"
COOKIE_SECRET = "Cookie-Secret-Value-4242"
LOGGERS = ("", "django", "django.request", "django.server", "django.security", "syllabus")


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _post_json(client: Client, url: str, data: dict, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


@pytest.mark.urls("syllabus.core.tests.urls_log_redaction")
@pytest.mark.django_db
def test_secrets_pushed_through_every_path_never_appear_in_the_logs(captured):
    # given: a user with a password, and one with an authenticator app (encrypted secret)
    user = UserFactory(email="plain@example.org")
    mfa_user = UserFactory(email="mfa@example.org")
    totp_secret = enrol_totp(mfa_user)
    stored_secret = Authenticator.objects.get(user=mfa_user, type="totp").data["secret"]
    assert stored_secret != totp_secret  # stored encrypted
    secrets: list[str] = [PASSWORD, WRONG_PASSWORD, COOKIE_SECRET, BOOM_SECRET]
    secrets += [totp_secret, stored_secret]

    # when: sign-in form, wrong then right
    browser = Client(HTTP_USER_AGENT="RedactionProbe/1.0")
    browser.post("/accounts/login/", {"login": user.email, "password": WRONG_PASSWORD})
    browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    session_cookie = browser.cookies["sessionid"].value
    csrf = browser.cookies.get("csrftoken")
    secrets.append(session_cookie)
    if csrf is not None and csrf.value:
        secrets.append(csrf.value)
    browser.cookies["tracking"] = COOKIE_SECRET
    browser.get("/", HTTP_COOKIE=f"sessionid={session_cookie}; other={COOKIE_SECRET}")
    browser.get(f"/courses/?token={COOKIE_SECRET}&password={WRONG_PASSWORD}")

    # ... MFA sign-in: a wrong code, then the right one
    mfa = Client()
    mfa.post("/accounts/login/", {"login": mfa_user.email, "password": PASSWORD})
    wrong_code = "000000" if totp_code(totp_secret) != "000000" else "111111"
    mfa.post("/accounts/2fa/authenticate/", {"code": wrong_code})
    right_code = totp_code(totp_secret)
    mfa.post("/accounts/2fa/authenticate/", {"code": right_code})
    secrets.append(right_code)

    # ... the token endpoint, then the API with the token, and with a refused one
    api = Client()
    issued = _post_json(api, "/api/v1/auth/token", {"email": user.email, "password": PASSWORD})
    assert issued.status_code == 200, issued.content
    token = issued.json()["token"]
    secrets.append(token)
    _post_json(api, "/api/v1/auth/token", {"email": user.email, "password": WRONG_PASSWORD})
    _post_json(
        api,
        "/api/v1/auth/token",
        {"email": mfa_user.email, "password": PASSWORD, "otp_code": totp_code(totp_secret)},
    )
    assert api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    refused = f"syl_abcdefgh_{COOKIE_SECRET}"
    api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Bearer {refused}")
    api.get("/api/v1/auth/me", HTTP_AUTHORIZATION=f"Basic {COOKIE_SECRET}")

    # ... a view that fails with secrets in its locals and its message
    failing = Client(raise_request_exception=False)
    assert failing.get("/boom/").status_code == 500

    # then
    output = captured.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert len(lines) > 15, "the paths above should have logged"
    assert any("Traceback" in str(line.get("exception", "")) for line in lines)
    for secret in secrets:
        assert secret not in output, f"a secret reached the logs: {secret[:4]}..."


@pytest.mark.django_db
def test_a_request_line_has_every_field_of_the_issue(captured, client):
    user = UserFactory()
    client.force_login(user)
    client.get("/courses/", HTTP_USER_AGENT="FieldProbe/2.0", HTTP_X_REQUEST_ID="fields-0001-abcd")
    entries = [json.loads(line) for line in captured.getvalue().splitlines() if line.strip()]
    access = [e for e in entries if e.get("logger") == "syllabus.access"]
    assert len(access) == 1
    line = access[0]
    assert line["timestamp"].endswith("Z")
    assert line["level"] == "info"
    assert line["message"] == "request"
    assert line["request_id"] == "fields-0001-abcd"
    assert line["user_id"] == user.public_id
    assert line["route"] == "/courses/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["ip"] == "127.0.0.1"
    assert line["user_agent"] == "FieldProbe/2.0"
    assert isinstance(line["db_queries"], int)


def test_application_events_carry_the_request_fields(captured, client, db):
    import structlog

    from syllabus.core.logging import bind_request, unbind_request

    user = UserFactory()
    client.force_login(user)
    response = client.get("/courses/")
    request = response.wsgi_request
    token = bind_request(request)
    try:
        request.user.is_authenticated  # noqa: B018 (loads the lazy user, as a view would)
        structlog.get_logger("syllabus.test").info("something.happened", course="c1")
    finally:
        unbind_request(token)
    entries = [json.loads(line) for line in captured.getvalue().splitlines() if line.strip()]
    event = next(e for e in entries if e.get("event") == "something.happened")
    assert event["route"] == "/courses/"
    assert event["user_id"] == user.public_id


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("password", "hunter2-long-enough"),
        ("new_password1", "hunter2-long-enough"),
        ("X-Api-Key", "k-123456789"),
        ("totp_secret", "JBSWY3DPEHPK3PXP"),
        ("session_key", "abcdefabcdef"),
        ("csrfmiddlewaretoken", "zzzzzzzzzzzz"),
        ("code", "123456"),
        ("recovery_code", "abcd-efgh"),
    ],
)
def test_sensitive_keys_are_redacted_at_any_depth(key, value):
    event = {"event": "x", key: value, "nested": {"form": {key: value}}, "items": [{key: value}]}
    redacted = redact_sensitive(None, "info", event)
    assert value not in json.dumps(redacted)


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer syl_abcdefgh_0123456789abcdef",
        "got token syl_abcdefgh_0123456789abcdef from the form",
        "Cookie: sessionid=0123456789abcdef; csrftoken=fedcba9876543210",
        "POST body password=Secret-Pass-1&otp_code=123456",
    ],
)
def test_secrets_inside_free_text_are_masked(text):
    redacted = redact_sensitive(None, "info", {"event": text})
    rendered = json.dumps(redacted)
    for secret in ("0123456789abcdef", "fedcba9876543210", "Secret-Pass-1", "123456"):
        assert secret not in rendered
