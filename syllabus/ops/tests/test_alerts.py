"""The built-in alert evaluator: the seed's conditions from the app's own numbers, and one
email to admins per incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from syllabus.ops import aggregates
from syllabus.ops.alerts import ALERTS, alerts_evaluate
from syllabus.ops.models import AlertState, HealthSample, RequestMinute
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def admins():
    return [UserFactory(site_roles=["admin"]), UserFactory(site_roles=["admin"])]


def _traffic(*, minutes: int, requests: int = 100, errors_5xx: int = 0, le: str = "le_100",
             signin_failures: int = 0, end: datetime = NOW) -> None:  # fmt: skip
    start = end.replace(second=0, microsecond=0)
    for index in range(1, minutes + 1):
        RequestMinute.objects.update_or_create(
            minute=start - timedelta(minutes=index),
            defaults={
                "requests": requests,
                "errors_5xx": errors_5xx,
                "duration_ms_sum": 50.0 * requests,
                le: requests,
                "signin_failures": signin_failures,
            },
        )


def _evaluate(django_capture_on_commit_callbacks, now=NOW):
    with django_capture_on_commit_callbacks(execute=True):
        return alerts_evaluate(now=now)


def test_every_row_of_the_seed_table_is_an_alert():
    assert {(a.name, a.severity, a.notify) for a in ALERTS} == {
        ("HighErrorRate", "critical", "pagerduty"),
        ("HighLatency", "high", "slack"),
        ("LowDisk", "high", "email"),
        ("DatabaseConnections", "critical", "pagerduty"),
        ("FailedLogins", "medium", "slack"),
        ("CertificateExpiry", "medium", "email"),
    }


def test_quiet_traffic_fires_nothing(admins, django_capture_on_commit_callbacks):
    _traffic(minutes=10)
    states = _evaluate(django_capture_on_commit_callbacks)
    assert not any(states.values()), states
    assert mail.outbox == []


def test_error_rate_fires_once_per_incident_and_again_after_resolving(
    admins, django_capture_on_commit_callbacks
):
    # given: 5% of requests fail for 5 minutes
    _traffic(minutes=5, errors_5xx=5)

    # when / then: the first evaluation fires and emails every admin
    assert _evaluate(django_capture_on_commit_callbacks)["HighErrorRate"] is True
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted(a.email for a in admins)
    assert "FIRING: High error rate (critical)" in mail.outbox[0].subject
    assert "docs/observability.md" in mail.outbox[0].body

    # still firing a minute later: no second email
    later = NOW + timedelta(minutes=1)
    _traffic(minutes=5, errors_5xx=5, end=later)
    assert _evaluate(django_capture_on_commit_callbacks, later)["HighErrorRate"] is True
    assert len(mail.outbox) == 1

    # resolved: one "resolved" email
    healed = NOW + timedelta(minutes=10)
    _traffic(minutes=5, errors_5xx=0, end=healed)
    assert _evaluate(django_capture_on_commit_callbacks, healed)["HighErrorRate"] is False
    assert len(mail.outbox) == 2 and "resolved" in mail.outbox[1].subject
    assert AlertState.objects.get(name="HighErrorRate").resolved_at == healed

    # a new incident emails again
    again = NOW + timedelta(minutes=30)
    _traffic(minutes=5, errors_5xx=5, end=again)
    assert _evaluate(django_capture_on_commit_callbacks, again)["HighErrorRate"] is True
    assert len(mail.outbox) == 3


def test_error_rate_needs_all_five_minutes(admins, django_capture_on_commit_callbacks):
    _traffic(minutes=4, errors_5xx=5)  # the fifth minute back has no traffic
    assert _evaluate(django_capture_on_commit_callbacks)["HighErrorRate"] is False


def test_latency_fires_when_p95_stays_above_two_seconds(admins, django_capture_on_commit_callbacks):
    _traffic(minutes=5, le="le_5000")  # every request between 2 and 5 s
    states = _evaluate(django_capture_on_commit_callbacks)
    assert states["HighLatency"] is True
    assert "High latency" in mail.outbox[0].subject


def test_failed_sign_ins_over_100_in_ten_minutes_fire(admins, django_capture_on_commit_callbacks):
    _traffic(minutes=10, signin_failures=11)  # 110 in 10 minutes
    assert _evaluate(django_capture_on_commit_callbacks)["FailedLogins"] is True
    RequestMinute.objects.all().delete()
    _traffic(minutes=10, signin_failures=10)  # 100: not more than 100
    assert _evaluate(django_capture_on_commit_callbacks)["FailedLogins"] is False


def test_low_disk_fires(admins, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(aggregates, "disk_free_ratio", lambda: 0.05)
    assert _evaluate(django_capture_on_commit_callbacks)["LowDisk"] is True


def test_database_connections_fire_after_five_busy_minutes(
    admins, django_capture_on_commit_callbacks
):
    for index in range(5):
        HealthSample.objects.create(
            minute=NOW.replace(second=0) - timedelta(minutes=index),
            healthy=True,
            db_connections_ratio=0.9,
        )
    assert _evaluate(django_capture_on_commit_callbacks)["DatabaseConnections"] is True


def test_certificate_expiring_within_30_days_fires(
    admins, django_capture_on_commit_callbacks, settings, tmp_path
):
    from syllabus.ops.tests.certs import write_certificate

    settings.TLS_CERT_FILE = str(write_certificate(tmp_path, days=10))
    from django.utils import timezone

    assert (
        _evaluate(django_capture_on_commit_callbacks, timezone.now())["CertificateExpiry"] is True
    )
    settings.TLS_CERT_FILE = str(write_certificate(tmp_path, days=90))
    assert (
        _evaluate(django_capture_on_commit_callbacks, timezone.now())["CertificateExpiry"] is False
    )


def test_the_periodic_job_samples_health_and_evaluates(admins, django_capture_on_commit_callbacks):
    from syllabus.ops.tasks import health_sample_task

    with django_capture_on_commit_callbacks(execute=True):
        health_sample_task.call_local()
    assert HealthSample.objects.count() == 1
    assert AlertState.objects.count() == len(ALERTS)
