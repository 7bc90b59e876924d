"""Start-up with real environments, in a fresh process each (settings load once per process)."""

from __future__ import annotations

import base64
import secrets

import pytest

from tests.processes import run_syllabus

pytestmark = pytest.mark.slow

STRONG_KEY = secrets.token_urlsafe(50)
FIELD_KEYS = f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def test_bad_boolean_stops_startup_naming_the_variable(tmp_path):
    result = run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="maybe")
    assert result.returncode == 1
    assert "configuration error: SYLLABUS_DEBUG must be one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_database_url_stops_startup(tmp_path):
    result = run_syllabus(
        tmp_path, "check", SYLLABUS_DEBUG="true", DATABASE_URL="postgresql://u@h:notaport/db"
    )
    assert result.returncode == 1
    assert "DATABASE_URL has an invalid port" in result.stderr


@pytest.mark.parametrize("key", [None, "change-me", "django-insecure-abc", "short"])
def test_production_refuses_missing_or_default_secret_key(tmp_path, key):
    env = {"SYLLABUS_DEBUG": "false"}
    if key is not None:
        env["SYLLABUS_SECRET_KEY"] = key
    result = run_syllabus(tmp_path, "check", **env)
    assert result.returncode == 1
    assert "SYLLABUS_SECRET_KEY" in result.stderr


def test_debug_mode_needs_nothing(tmp_path):
    result = run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_with_tls_passes_the_configuration_items_of_check_deploy(tmp_path):
    """A fresh production install with TLS: every configuration item of the checklist
    passes; the items that need a running site (a verified backup, an administrator with
    MFA) fail until it has them (tests/test_checklist.py covers a complete site)."""
    result = run_syllabus(
        tmp_path,
        "check",
        "--deploy",
        SYLLABUS_DEBUG="false",
        SYLLABUS_SECRET_KEY=STRONG_KEY,
        SYLLABUS_FIELD_KEYS=FIELD_KEYS,
        SYLLABUS_TLS="true",
        SYLLABUS_ALLOWED_HOSTS="lms.example.edu",
        SYLLABUS_SMTP_HOST="smtp.example.edu",
        SYLLABUS_SMS_GATEWAY="http",
        SYLLABUS_SMS_GATEWAY_URL="https://sms.example.edu/send",
    )
    out = result.stdout
    for item in (
        "DEBUG is off",
        "TLS on",
        "HSTS on",
        "Secret key strong",
        "Field encryption keys",
        "Django deployment checks",
        "Email sent by SMTP",
        "Text messages sent by a gateway",
    ):
        assert f"PASS    {item}" in out, out + result.stderr
    # This install has not run `syllabus migrate`: the checklist says so instead of crashing.
    assert "FAIL    Verified backup in the last 26 hours" in out
    assert "run `syllabus migrate`" in out
    assert result.returncode == 1


def test_production_without_tls_fails_check_deploy(tmp_path):
    result = run_syllabus(
        tmp_path,
        "check",
        "--deploy",
        SYLLABUS_DEBUG="false",
        SYLLABUS_SECRET_KEY=STRONG_KEY,
        SYLLABUS_FIELD_KEYS=FIELD_KEYS,
    )
    assert result.returncode != 0
    assert "FAIL    TLS on" in result.stdout
    # No SYLLABUS_SMTP_HOST: emails would go to the log.
    assert "FAIL    Email sent by SMTP" in result.stdout
    assert "FAIL    Text messages sent by a gateway" in result.stdout  # the console gateway
    assert "security.W004" in result.stdout  # Django's own check: HSTS is off without TLS


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SYLLABUS_TIME_ZONE", "Mars/Olympus"),
        ("SYLLABUS_LANGUAGE_CODE", "xx"),
        ("SYLLABUS_LANGUAGE_CODE", "fr"),  # a language Django knows but Syllabus does not ship
        ("SYLLABUS_MEDIA_URL", "https://cdn.example.org/media"),  # no trailing slash
        ("SYLLABUS_MEDIA_URL", "ftp://cdn.example.org/media/"),
    ],
)
def test_bad_locale_settings_stop_startup_naming_the_variable(tmp_path, name, value):
    result = run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="true", **{name: value})
    assert result.returncode == 1
    assert f"configuration error: {name} must " in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_field_keys(tmp_path):
    result = run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="false", SYLLABUS_SECRET_KEY=STRONG_KEY)
    assert result.returncode == 1
    assert "configuration error: Set SYLLABUS_FIELD_KEYS (or SYLLABUS_FIELD_KEYS_FILE)" in (
        result.stderr
    )
    assert result.stderr.count("\n") == 1  # one line, no traceback


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("k1", "each entry must look like <key id>:<base64 key>"),
        (f"k1:{base64.b64encode(b'short').decode()}", "key 'k1' is 5 bytes"),
        (f"{FIELD_KEYS},{FIELD_KEYS}", "key id 'k1' appears twice"),
    ],
    ids=["no-key", "short", "duplicate"],
)
def test_malformed_field_keys_stop_startup_naming_the_problem(tmp_path, keys, message):
    result = run_syllabus(
        tmp_path,
        "check",
        SYLLABUS_DEBUG="false",
        SYLLABUS_SECRET_KEY=STRONG_KEY,
        SYLLABUS_FIELD_KEYS=keys,
    )
    assert result.returncode == 1
    assert f"configuration error: SYLLABUS_FIELD_KEYS: {message}" in result.stderr
    assert "Traceback" not in result.stderr


def test_field_keys_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "field_keys"
    key_file.write_text(FIELD_KEYS + "\n")
    result = run_syllabus(
        tmp_path,
        "check",
        SYLLABUS_DEBUG="false",
        SYLLABUS_SECRET_KEY=STRONG_KEY,
        SYLLABUS_FIELD_KEYS_FILE=str(key_file),
    )
    assert result.returncode == 0, result.stderr


def test_debug_mode_generates_a_private_field_key_ring_once(tmp_path):
    assert run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="true").returncode == 0
    ring = tmp_path / "field_keys"
    first = ring.read_text()
    assert first.startswith("dev1:")
    assert ring.stat().st_mode & 0o777 == 0o600
    assert run_syllabus(tmp_path, "check", SYLLABUS_DEBUG="true").returncode == 0
    assert ring.read_text() == first  # kept, or every encrypted value would be lost


def test_a_weak_field_key_is_a_check_warning(tmp_path):
    zeros = base64.b64encode(bytes(32)).decode()
    result = run_syllabus(
        tmp_path, "check", SYLLABUS_DEBUG="true", SYLLABUS_FIELD_KEYS=f"{FIELD_KEYS},old:{zeros}"
    )
    assert "syllabus.core.W001" in result.stderr + result.stdout
    assert "'old'" in result.stderr + result.stdout
