"""``syllabus check --deploy``: the production checklist passes on a correct
configuration and fails, naming the reason, for each wrong one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from syllabus.accounts.tests.mfa_helpers import enrol_totp
from syllabus.backups.models import BackupRun
from syllabus.ops.checklist import FAIL, MANUAL, PASS, run_checklist
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRODUCTION = {
    "DEBUG": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECRET_KEY": "k" + "".join(chr(33 + (i * 7) % 90) for i in range(70)),
    "ALLOWED_HOSTS": ["lms.example.edu"],
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.edu",
    "EMAIL_USE_TLS": True,
    "SMS_GATEWAY": "http",
    "SMS_GATEWAY_URL": "https://sms.example.edu/send",
}


def _backup(**extra):
    now = timezone.now()
    values = {
        "kind": BackupRun.Kind.BACKUP,
        "status": BackupRun.Status.SUCCEEDED,
        "trigger": BackupRun.Trigger.SCHEDULE,
        "verification": BackupRun.Verification.PASSED,
        "started_at": now - timedelta(minutes=5),
        "finished_at": now - timedelta(minutes=4),
        "verified_at": now - timedelta(minutes=3),
        "archive": "syllabus-backup-test",
    }
    values.update(extra)
    return BackupRun.objects.create(**values)


@pytest.fixture
def correct():
    admin = UserFactory(site_roles=["admin"])
    enrol_totp(admin)
    _backup()
    with override_settings(**PRODUCTION):
        yield admin


def _status(items, name):
    return next(item for item in items if item.name == name)


def test_a_correct_configuration_passes(correct, capsys):
    items = run_checklist()
    failed = [(i.name, i.reason) for i in items if i.status == FAIL]
    assert failed == []
    call_command("check", "--deploy")
    out = capsys.readouterr().out
    assert "PASS    DEBUG is off" in out
    assert "PASS    Email sent by SMTP" in out
    assert "through smtp.example.edu:587 with STARTTLS" in out
    assert "MANUAL  Penetration testing performed" in out
    assert "Production checklist: 13 passed, 0 failed, 8 to check by hand." in out


@pytest.mark.parametrize(
    ("change", "name", "reason"),
    [
        ({"DEBUG": True}, "DEBUG is off", "SYLLABUS_DEBUG is true"),
        (
            {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False},
            "TLS on",
            "SYLLABUS_TLS is false",
        ),
        ({"SECURE_HSTS_SECONDS": 3600}, "HSTS on", "HSTS max-age is 3600"),
        ({"SECRET_KEY": "short"}, "Secret key strong", "shorter than 50"),
        ({"MFA_REQUIRED_ROLES": ["instructor"]}, "Administrator MFA enforced", "does not include"),
        ({"ALERTS_ENABLED": False}, "Alerting configured", "built-in alerts are off"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "Email sent by SMTP",
            "SYLLABUS_SMTP_HOST is not set: emails are printed to the log",
        ),
        (
            {"SMS_GATEWAY": "console"},
            "Text messages sent by a gateway",
            "SYLLABUS_SMS_GATEWAY is console: the one-time codes",
        ),
        (
            {"EMAIL_USE_TLS": False},
            "Email sent by SMTP",
            "through smtp.example.edu:587 without TLS",
        ),
    ],
)
def test_each_wrong_setting_fails_with_its_reason(correct, change, name, reason):
    with override_settings(**change):
        items = run_checklist()
        item = _status(items, name)
        assert item.status == (PASS if name == "Alerting configured" else FAIL), item
        assert reason in item.reason
        if item.status == FAIL:
            with pytest.raises(CommandError, match="1 failed|failed"):
                call_command("check", "--deploy")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_smtp_without_tls_passes_on_this_machine(correct, host):
    # A relay on the same machine (a local Postfix): nothing crosses the network there.
    with override_settings(EMAIL_HOST=host, EMAIL_USE_TLS=False):
        item = _status(run_checklist(), "Email sent by SMTP")
    assert item.status == PASS
    assert item.reason == f"through {host}:587 on this machine, without TLS"


def test_without_a_verified_recent_backup_it_fails(correct):
    BackupRun.objects.update(verification=BackupRun.Verification.NONE)
    assert _status(run_checklist(), "Verified backup in the last 26 hours").status == FAIL
    BackupRun.objects.all().delete()
    _backup(finished_at=timezone.now() - timedelta(hours=30))
    item = _status(run_checklist(), "Verified backup in the last 26 hours")
    assert item.status == FAIL and "syllabus verify-backup" in item.reason
    assert _status(run_checklist(), "Health green").status == FAIL  # the backup check too


def test_an_administrator_without_mfa_fails_it(correct):
    assert _status(run_checklist(), "Administrator MFA enforced").reason == (
        "required for administrators; the one administrator has a second factor"
    )
    UserFactory(email="new-admin@example.org", site_roles=["admin"])
    item = _status(run_checklist(), "Administrator MFA enforced")
    assert item.status == FAIL
    assert item.reason == (
        "required, but 1 administrator has no second factor yet: new-admin@example.org"
    )
    UserFactory(email="third-admin@example.org", site_roles=["admin"])
    item = _status(run_checklist(), "Administrator MFA enforced")
    assert item.reason.startswith("required, but 2 administrators have no second factor yet: ")


def test_a_site_without_an_administrator_says_so(correct):
    correct.is_active = False
    correct.save()
    item = _status(run_checklist(), "Administrator MFA enforced")
    assert item.status == PASS
    assert item.reason == (
        "required for administrators; no active administrator yet "
        "(`syllabus createadmin` makes one)"
    )


def test_weak_field_keys_fail(correct, monkeypatch):
    from syllabus.core import crypto

    class Weak:
        key_ids = ("k1",)

        def weak_key_ids(self):
            return ["k1"]

    monkeypatch.setattr(crypto, "keyring", lambda: Weak())
    item = _status(run_checklist(), "Field encryption keys")
    assert item.status == FAIL and item.reason == "weak key: k1"


def test_s3_without_server_side_encryption_fails(correct):
    with override_settings(STORAGE_BACKEND="s3", S3_SSE="none"):
        item = _status(run_checklist(), "Encryption at rest (observable part)")
    assert item.status == FAIL and "SYLLABUS_S3_SSE" in item.reason


def test_manual_items_are_listed_with_their_docs(correct):
    manual = [i for i in run_checklist() if i.status == MANUAL]
    names = {i.name for i in manual}
    assert {
        "Penetration testing performed",
        "DDoS protection configured",
        "WAF rules applied",
    } <= names
    assert all(i.doc for i in manual)


def test_a_check_that_crashes_is_a_failure_not_a_crash(correct, monkeypatch):
    from syllabus.ops import checklist

    def broken():
        raise RuntimeError("boom")

    broken.__name__ = "certificate_valid"  # replaces the last check
    monkeypatch.setattr(checklist, "AUTOMATIC", (*checklist.AUTOMATIC[:-1], broken))
    item = next(i for i in run_checklist() if i.name == "SSL certificate valid")
    assert item.status == FAIL and "boom" in item.reason
