"""Sessions: idle and absolute limits, new keys at sign-in and privilege change, cookies,
and the active-sessions page that signs other browsers out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from syllabus.accounts.models import Role, UserSession
from syllabus.accounts.services import role_grant
from syllabus.accounts.sessions import (
    AUTH_AT,
    PRIVILEGES,
    SEEN_AT,
    describe_device,
    user_sessions_purge_stale,
)
from syllabus.accounts.tests.mfa_helpers import sign_in
from syllabus.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_signed_in(client: Client) -> bool:
    response = client.get("/account/sessions/")
    return response.status_code == 200


# --- Keys and cookies --------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, learner):
    # given an anonymous session with a key
    anonymous = client.session
    anonymous["visited"] = True
    anonymous.save()
    before = session_key(client)
    # when
    response = sign_in(client, learner.email)
    # then
    assert response.status_code == 302
    after = session_key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(user=learner).session_key == after


def test_a_change_of_privileges_gives_a_new_session_key_and_keeps_the_user_signed_in(
    client, learner
):
    # given
    sign_in(client, learner.email)
    before = session_key(client)
    # when an admin makes the learner an auditor
    role_grant(actor=None, user=learner, role=Role.objects.get(slug="auditor"))
    response = client.get("/")
    # then
    after = session_key(client)
    assert response.status_code == 200
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert is_signed_in(client)
    assert UserSession.objects.get(user=learner).session_key == after
    # and a request without a change keeps the key
    client.get("/")
    assert session_key(client) == after


def test_becoming_staff_also_cycles_the_key(client, learner):
    sign_in(client, learner.email)
    before = session_key(client)
    learner.is_staff = True
    learner.save()
    client.get("/")
    assert session_key(client) != before


def test_session_cookie_is_httponly_and_samesite_lax(client, learner):
    response = sign_in(client, learner.email)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # tests run without TLS
    # a browser-session cookie: the server decides when the session ends
    assert cookie["max-age"] == ""


def settings_in_subprocess(tmp_path, expression: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SYLLABUS_", "DATABASE_"))}
    base.update(
        {
            "SYLLABUS_DEBUG": "true",
            "SYLLABUS_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "syllabus.config.settings",
            **env,
        }
    )
    code = f"from django.conf import settings; print(({expression}))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=base, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cookies_are_secure_when_tls_is_on(tmp_path):
    expression = "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE"
    assert settings_in_subprocess(tmp_path, expression, SYLLABUS_TLS="true") == "(True, True)"
    assert settings_in_subprocess(tmp_path, expression, SYLLABUS_TLS="false") == "(False, False)"


def test_session_limits_come_from_the_environment(tmp_path):
    expression = "settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS"
    assert settings_in_subprocess(tmp_path, expression) == "(30, 12)"
    assert (
        settings_in_subprocess(
            tmp_path,
            expression,
            SYLLABUS_SESSION_IDLE_MINUTES="10",
            SYLLABUS_SESSION_MAX_HOURS="8",
        )
        == "(10, 8)"
    )


# --- Idle and absolute limits ------------------------------------------------------------------


def test_the_idle_timeout_slides_with_each_request_and_ends_an_idle_session(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        # each request within 30 minutes keeps the session alive and slides the limit
        for _ in range(3):
            traveller.shift(timedelta(minutes=29))
            assert is_signed_in(client)
        # 30 minutes without a request end it
        traveller.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/account/sessions/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/account/sessions/")
    assert not UserSession.objects.filter(user=learner).exists()
    page = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page


def test_an_api_call_after_the_idle_timeout_is_anonymous(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        traveller.shift(timedelta(minutes=31))
        response = client.get("/account/session/status/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_the_absolute_lifetime_ends_even_an_active_session(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        for _ in range(35):  # 35 x 20 minutes = 11 h 40 min of activity
            traveller.shift(timedelta(minutes=20))
            assert is_signed_in(client)
        traveller.shift(timedelta(minutes=20, seconds=1))  # 12 h and a second
        response = client.get("/account/sessions/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "reached its 12-hour limit" in page


def test_status_does_not_extend_the_session_but_keepalive_does(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        traveller.shift(timedelta(minutes=20))
        status = client.get("/account/session/status/").json()
        assert status["idle_seconds"] == 10 * 60
        assert client.session[SEEN_AT] == START.timestamp()
        traveller.shift(timedelta(minutes=9))
        kept = client.post("/account/session/keepalive/").json()
        assert kept["idle_seconds"] == 30 * 60
        assert kept["absolute_seconds"] == 12 * 3600 - 29 * 60
        traveller.shift(timedelta(minutes=29))
        assert is_signed_in(client)


def test_keepalive_extends_even_within_the_write_throttle(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        traveller.shift(timedelta(seconds=20))
        kept = client.post("/account/session/keepalive/").json()
    assert kept["idle_seconds"] == 30 * 60


def test_ordinary_requests_write_the_session_at_most_once_a_minute(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        traveller.shift(timedelta(seconds=30))
        client.get("/")
        assert client.session[SEEN_AT] == START.timestamp()
        traveller.shift(timedelta(seconds=31))
        client.get("/")
        assert client.session[SEEN_AT] == START.timestamp() + 61


def test_keepalive_and_status_need_a_signed_in_user(client):
    assert client.post("/account/session/keepalive/").status_code == 401
    assert client.get("/account/session/status/").status_code == 401
    assert client.get("/account/session/keepalive/").status_code == 405


def test_pages_carry_the_session_timings_for_the_warning(client, learner):
    with time_machine.travel(START, tick=False):
        sign_in(client, learner.email)
        html = client.get("/").content.decode()
    assert '<meta name="syllabus-session"' in html
    assert 'data-idle-seconds="1800"' in html
    assert 'data-warn-seconds="120"' in html
    assert 'data-keepalive-url="/account/session/keepalive/"' in html
    assert "syllabus/js/session-timeout.js" in html
    assert "<script>" not in html  # no inline script: the CSP has no unsafe-inline


def test_anonymous_pages_have_no_session_timer(client):
    assert 'name="syllabus-session"' not in client.get("/").content.decode()


def test_a_session_from_before_the_policy_gets_its_clocks_started(client, learner):
    client.force_login(learner)
    session = client.session
    for key in (AUTH_AT, SEEN_AT, PRIVILEGES):
        session.pop(key, None)
    session.save()
    assert is_signed_in(client)
    assert AUTH_AT in client.session


# --- The active sessions page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_LINUX, "Firefox on Linux"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "A browser on Linux"),
    ],
)
def test_user_agents_are_described_simply(user_agent, device):
    assert describe_device(user_agent) == device


def two_browsers(user):
    firefox, iphone = Client(HTTP_USER_AGENT=FIREFOX_LINUX), Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    sign_in(firefox, user.email, REMOTE_ADDR="198.51.100.7")
    sign_in(iphone, user.email, REMOTE_ADDR="203.0.113.9")
    return firefox, iphone


def test_the_sessions_page_lists_devices_ips_and_marks_this_one(learner):
    firefox, _ = two_browsers(learner)
    html = firefox.get("/account/sessions/").content.decode()
    assert "Firefox on Linux" in html
    assert "Safari on iOS" in html
    assert "198.51.100.7" in html
    assert "203.0.113.9" in html
    assert html.count("This device") == 1
    assert html.index("This device") > html.index("Firefox on Linux")
    assert "Sign out all other sessions" in html


def test_signing_out_another_session_really_signs_that_browser_out(learner):
    # given two browsers
    firefox, iphone = two_browsers(learner)
    other = UserSession.objects.get(user=learner, device="Safari on iOS")
    # when the first asks to sign the second out: a confirmation first, then the POST
    confirm = firefox.get(f"/account/sessions/{other.pk}/sign-out/")
    assert confirm.status_code == 200
    assert "Sign out Safari on iOS?" in confirm.content.decode()
    assert is_signed_in(iphone)  # the GET changed nothing
    response = firefox.post(f"/account/sessions/{other.pk}/sign-out/")
    # then
    assert response.status_code == 302
    assert not is_signed_in(iphone)
    assert not Session.objects.filter(session_key=other.session_key).exists()
    assert is_signed_in(firefox)
    event = AuditEvent.objects.get(action="auth.session_revoked")
    assert event.category == "authentication"
    assert event.actor == learner
    assert event.details["device"] == "Safari on iOS"


def test_signing_out_all_other_sessions(learner):
    firefox, iphone = two_browsers(learner)
    third = Client(HTTP_USER_AGENT="curl/8.5.0")
    sign_in(third, learner.email)
    assert firefox.get("/account/sessions/sign-out-others/").status_code == 200
    response = firefox.post("/account/sessions/sign-out-others/")
    assert response.status_code == 302
    assert not is_signed_in(iphone)
    assert not is_signed_in(third)
    assert is_signed_in(firefox)
    assert list(UserSession.objects.filter(user=learner).values_list("device", flat=True)) == [
        "Firefox on Linux"
    ]
    event = AuditEvent.objects.get(action="auth.session_revoked")
    assert event.details == {"count": 2, "others": True}


def test_nobody_can_sign_out_someone_elses_session(learner, outsider):
    _, iphone = two_browsers(learner)
    stranger = Client()
    stranger.force_login(outsider)
    other = UserSession.objects.get(user=learner, device="Safari on iOS")
    assert stranger.post(f"/account/sessions/{other.pk}/sign-out/").status_code == 404
    assert is_signed_in(iphone)
    assert not AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_this_session_cannot_be_revoked_from_the_list(learner):
    firefox, _ = two_browsers(learner)
    mine = UserSession.objects.get(user=learner, device="Firefox on Linux")
    response = firefox.post(f"/account/sessions/{mine.pk}/sign-out/")
    assert response.status_code == 302
    assert is_signed_in(firefox)
    assert not AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_revoking_without_a_csrf_token_is_refused_and_changes_nothing(learner):
    firefox, iphone = two_browsers(learner)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = firefox.cookies
    other = UserSession.objects.get(user=learner, device="Safari on iOS")
    response = strict.post(f"/account/sessions/{other.pk}/sign-out/")
    assert response.status_code == 403
    assert "Form expired" in response.content.decode()
    assert is_signed_in(iphone)
    assert not AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_signing_out_removes_the_session_from_the_list(client, learner):
    sign_in(client, learner.email)
    assert UserSession.objects.filter(user=learner).count() == 1
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=learner).exists()


def test_the_last_seen_time_is_updated_at_most_once_a_minute(client, learner):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, learner.email)
        traveller.shift(timedelta(seconds=59))
        client.get("/")
        assert UserSession.objects.get(user=learner).last_seen_at == START
        traveller.shift(timedelta(seconds=2))
        client.get("/", REMOTE_ADDR="192.0.2.44")
    row = UserSession.objects.get(user=learner)
    assert row.last_seen_at == START + timedelta(seconds=61)
    assert row.ip == "192.0.2.44"


def test_stale_sessions_leave_the_list_and_are_purged(learner):
    with time_machine.travel(START, tick=False) as traveller:
        # given the iPhone idle for 40 minutes while Firefox stays active
        firefox, _ = two_browsers(learner)
        stale_key = UserSession.objects.get(device="Safari on iOS").session_key
        traveller.shift(timedelta(minutes=20))
        firefox.get("/")
        traveller.shift(timedelta(minutes=20))
        # then the page lists only the live session
        html = firefox.get("/account/sessions/").content.decode()
        assert "Firefox on Linux" in html
        assert "Safari on iOS" not in html
        # and the purge job removes the stale row and its Django session
        assert user_sessions_purge_stale() == 1
    assert list(UserSession.objects.values_list("device", flat=True)) == ["Firefox on Linux"]
    assert not Session.objects.filter(session_key=stale_key).exists()
