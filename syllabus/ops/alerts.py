"""The seed's alert table (4.3), evaluated from the app's own numbers (no Prometheus).

The worker runs ``alerts_evaluate`` once a minute. Each alert has the same condition as its
rule in ``deploy/prometheus/alerts.yml``. When one starts firing, admins (users holding the
site role ``admin``) get one email; while it keeps firing nothing more is sent; once it is
resolved they get a "resolved" email and the next incident emails again. The state is
kept in ``AlertState``, so restarts do not repeat emails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from syllabus.accounts.models import User
from syllabus.core.email import email_queue
from syllabus.ops import aggregates, business
from syllabus.ops.models import AlertState, HealthSample

log = structlog.get_logger(__name__)

# Below this many requests in a minute, rates say nothing (one 500 of 3 requests is 33%).
MIN_REQUESTS_PER_MINUTE = 10


@dataclass(frozen=True)
class Alert:
    name: str
    title: str
    severity: str  # critical, high, medium (the seed's)
    notify: str  # pagerduty, slack, email (the seed's; the built-in evaluator emails)
    condition: str
    check: Callable[[datetime], tuple[bool, str]]


def _last_minutes(now: datetime, count: int) -> list[aggregates.RequestStats]:
    """Stats of each of the ``count`` full minutes before ``now``, oldest first."""
    end = now.replace(second=0, microsecond=0)
    rows = {
        row.minute: row
        for row in aggregates.request_minutes(since=end - timedelta(minutes=count), until=end)
    }
    stats = []
    for index in range(count, 0, -1):
        row = rows.get(end - timedelta(minutes=index))
        stats.append(
            aggregates.RequestStats(
                requests=row.requests if row else 0,
                errors_4xx=row.errors_4xx if row else 0,
                errors_5xx=row.errors_5xx if row else 0,
                duration_ms_sum=row.duration_ms_sum if row else 0.0,
                buckets=tuple(getattr(row, f) for f in row.BUCKET_FIELDS) if row else (),
                signin_failures=row.signin_failures if row else 0,
            )
        )
    return stats


def _error_rate(now: datetime) -> tuple[bool, str]:
    minutes = _last_minutes(now, 5)
    busy = [m for m in minutes if m.requests >= MIN_REQUESTS_PER_MINUTE]
    firing = len(busy) == 5 and all(m.rate_5xx > 0.01 for m in busy)
    worst = max((m.rate_5xx for m in minutes), default=0.0)
    return firing, f"5xx share up to {worst:.2%} per minute over the last 5 minutes"


def _latency(now: datetime) -> tuple[bool, str]:
    minutes = _last_minutes(now, 5)
    p95s = [m.p95_ms for m in minutes if m.requests >= MIN_REQUESTS_PER_MINUTE]
    firing = len(p95s) == 5 and all(p is not None and p > 2000 for p in p95s)
    shown = ", ".join(f"{p:.0f}" for p in p95s if p is not None) or "no traffic"
    return firing, f"p95 per minute (ms): {shown}"


def _disk(now: datetime) -> tuple[bool, str]:
    ratio = aggregates.disk_free_ratio()
    if ratio is None:
        return False, "disk usage unknown"
    return ratio < 0.10, f"{ratio:.1%} of the data disk is free"


def _db_connections(now: datetime) -> tuple[bool, str]:
    since = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    ratios = [
        float(r or 0.0)
        for r in HealthSample.objects.filter(minute__gte=since, db_connections_ratio__isnull=False)
        .order_by("minute")
        .values_list("db_connections_ratio", flat=True)
    ]
    firing = len(ratios) >= 5 and all(r > 0.80 for r in ratios[-5:])
    last = f"{ratios[-1]:.0%}" if ratios else "unknown (not PostgreSQL, or no samples yet)"
    return firing, f"database connections in use: {last} of max_connections"


def _failed_signins(now: datetime) -> tuple[bool, str]:
    end = now.replace(second=0, microsecond=0)
    stats = aggregates.request_stats(since=end - timedelta(minutes=10), until=end)
    return stats.signin_failures > 100, f"{stats.signin_failures} failed sign-ins in 10 minutes"


def _certificate(now: datetime) -> tuple[bool, str]:
    expiry = business.tls_certificate_expiry()
    if expiry is None:
        return False, "no certificate configured (SYLLABUS_TLS_CERT_FILE)"
    days = (expiry - now.timestamp()) / 86400
    return days < 30, f"the TLS certificate expires in {days:.0f} days"


ALERTS = (
    Alert("HighErrorRate", "High error rate", "critical", "pagerduty",
          "more than 1% of requests answered 5xx for 5 minutes", _error_rate),
    Alert("HighLatency", "High latency", "high", "slack",
          "95th percentile response time above 2 s for 5 minutes", _latency),
    Alert("LowDisk", "Low disk", "high", "email",
          "less than 10% of the data disk free", _disk),
    Alert("DatabaseConnections", "Database connections", "critical", "pagerduty",
          "more than 80% of the database's connections in use for 5 minutes", _db_connections),
    Alert("FailedLogins", "Failed sign-ins", "medium", "slack",
          "more than 100 failed sign-ins in 10 minutes", _failed_signins),
    Alert("CertificateExpiry", "Certificate expiry", "medium", "email",
          "the TLS certificate expires in less than 30 days", _certificate),
)  # fmt: skip


def _admin_emails() -> list[str]:
    return sorted(
        set(
            User.objects.filter(is_active=True, role_assignments__role__slug="admin").values_list(
                "email", flat=True
            )
        )
        - {""}
    )


def _notify(alert: Alert, *, firing: bool, value: str, at: datetime) -> None:
    recipients = _admin_emails()
    if not recipients:
        log.warning("alert.no_recipients", alert=alert.name)
        return
    state = "FIRING" if firing else "resolved"
    subject = f"[{settings.SITE_NAME}] {state}: {alert.title} ({alert.severity})"
    body = (
        f"{alert.title} is {'firing' if firing else 'resolved'} since {at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Condition: {alert.condition}.\nNow: {value}.\nSeverity: {alert.severity}.\n\n"
        "What to check and what to do: see the runbook for this alert in "
        f"docs/observability.md (section {alert.name}), and the operations dashboard at /ops/.\n"
    )
    email_queue(subject=subject, body=body, to=recipients)


def alerts_evaluate(*, now: datetime | None = None) -> dict[str, bool]:
    """Evaluate every alert; email admins when one fires or resolves. Returns the states."""
    now = now or timezone.now()
    result: dict[str, bool] = {}
    for alert in ALERTS:
        try:
            firing, value = alert.check(now)
        except Exception as exc:
            log.warning("alert.check_failed", alert=alert.name, error=type(exc).__name__)
            continue
        result[alert.name] = firing
        with transaction.atomic():
            state, _ = AlertState.objects.select_for_update().get_or_create(name=alert.name)
            if firing and not state.firing:
                state.firing, state.since, state.notified_at = True, now, now
                state.resolved_at = None
                log.warning("alert.firing", alert=alert.name, value=value)
                _notify(alert, firing=True, value=value, at=now)
            elif not firing and state.firing:
                state.firing, state.resolved_at = False, now
                log.info("alert.resolved", alert=alert.name, value=value)
                _notify(alert, firing=False, value=value, at=now)
            state.value = value[:200]
            state.save()
    return result
