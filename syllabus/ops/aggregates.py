"""The app's own per-minute numbers: request aggregates and health samples.

Written cheaply (one upsert per process per minute, one health sample per minute by the
worker), read by the ops dashboard and the built-in alert evaluator, pruned after
SYLLABUS_METRICS_KEEP_DAYS. Nothing here needs Prometheus.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from syllabus.core.metrics import MINUTE_BUCKETS_MS, MinuteCounts
from syllabus.ops.health import health_report
from syllabus.ops.models import HealthSample, RequestMinute

# --- Writing -------------------------------------------------------------------------------


def _minute(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def minutes_write(taken: dict[int, MinuteCounts]) -> None:
    """Add one process's finished minutes to the shared rows (atomic increments)."""
    for epoch, counts in sorted(taken.items()):
        increments: dict[str, Any] = {
            "requests": F("requests") + counts.requests,
            "errors_4xx": F("errors_4xx") + counts.errors_4xx,
            "errors_5xx": F("errors_5xx") + counts.errors_5xx,
            "duration_ms_sum": F("duration_ms_sum") + counts.duration_ms_sum,
            "signin_failures": F("signin_failures") + counts.signin_failures,
        }
        for name, value in zip(RequestMinute.BUCKET_FIELDS, counts.buckets, strict=False):
            increments[name] = F(name) + value
        minute = _minute(epoch)
        with transaction.atomic():
            if RequestMinute.objects.filter(minute=minute).update(**increments):
                continue
            try:
                with transaction.atomic():
                    RequestMinute.objects.create(
                        minute=minute,
                        requests=counts.requests,
                        errors_4xx=counts.errors_4xx,
                        errors_5xx=counts.errors_5xx,
                        duration_ms_sum=counts.duration_ms_sum,
                        signin_failures=counts.signin_failures,
                        **dict(zip(RequestMinute.BUCKET_FIELDS, counts.buckets, strict=False)),
                    )
            except IntegrityError:  # another process created it just now
                RequestMinute.objects.filter(minute=minute).update(**increments)


def disk_free_ratio() -> float | None:
    """Free share of the disk holding SYLLABUS_DATA_DIR."""
    try:
        usage = shutil.disk_usage(settings.DATA_DIR)
    except OSError:
        return None
    return usage.free / usage.total if usage.total else None


def db_connections() -> tuple[int, int] | None:
    """(connections in use, max_connections) of the PostgreSQL server; None on SQLite."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cursor.fetchone()[0])
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
    return used, limit


def health_sample_take(*, now: datetime | None = None) -> HealthSample:
    """Record this minute's health report (the worker runs it once a minute)."""
    now = now or timezone.now()
    report = health_report()
    ratio: float | None = None
    try:
        pair = db_connections()
        if pair and pair[1]:
            ratio = pair[0] / pair[1]
    except Exception:  # the database check in the report says why
        ratio = None
    sample, _ = HealthSample.objects.update_or_create(
        minute=now.replace(second=0, microsecond=0),
        defaults={
            "healthy": report.healthy,
            "services": {name: s.status for name, s in report.services.items()},
            "db_connections_ratio": ratio,
            "disk_free_ratio": disk_free_ratio(),
        },
    )
    return sample


def prune(*, now: datetime | None = None) -> int:
    """Delete aggregates and samples older than SYLLABUS_METRICS_KEEP_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.METRICS_KEEP_DAYS)
    deleted = RequestMinute.objects.filter(minute__lt=cutoff).delete()[0]
    deleted += HealthSample.objects.filter(minute__lt=cutoff).delete()[0]
    return deleted


# --- Reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestStats:
    requests: int
    errors_4xx: int
    errors_5xx: int
    duration_ms_sum: float
    buckets: tuple[int, ...]
    signin_failures: int

    @property
    def rate_4xx(self) -> float:
        return self.errors_4xx / self.requests if self.requests else 0.0

    @property
    def rate_5xx(self) -> float:
        return self.errors_5xx / self.requests if self.requests else 0.0

    @property
    def error_rate(self) -> float:
        return (self.errors_4xx + self.errors_5xx) / self.requests if self.requests else 0.0

    @property
    def mean_ms(self) -> float | None:
        return self.duration_ms_sum / self.requests if self.requests else None

    @property
    def p95_ms(self) -> float | None:
        return percentile_ms(self.buckets, self.requests, 0.95)


def percentile_ms(buckets: tuple[int, ...], total: int, q: float) -> float | None:
    """Estimate a percentile from bucket counts, interpolating inside the bucket (as
    Prometheus's histogram_quantile does); above the last bound it is that bound."""
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    lower = 0.0
    for bound, count in zip(MINUTE_BUCKETS_MS, buckets, strict=False):
        if count and seen + count >= rank:
            return lower + (bound - lower) * (rank - seen) / count
        seen += count
        lower = float(bound)
    return float(MINUTE_BUCKETS_MS[-1])


_SUMS = {
    "requests": Sum("requests"),
    "errors_4xx": Sum("errors_4xx"),
    "errors_5xx": Sum("errors_5xx"),
    "duration_ms_sum": Sum("duration_ms_sum"),
    "signin_failures": Sum("signin_failures"),
    **{name: Sum(name) for name in RequestMinute.BUCKET_FIELDS},
}


_SUM_FIELDS = (
    "requests", "errors_4xx", "errors_5xx", "duration_ms_sum", "signin_failures",
    *RequestMinute.BUCKET_FIELDS,
)  # fmt: skip


def _stats(row: dict[str, Any]) -> RequestStats:
    return RequestStats(
        requests=int(row.get("requests") or 0),
        errors_4xx=int(row.get("errors_4xx") or 0),
        errors_5xx=int(row.get("errors_5xx") or 0),
        duration_ms_sum=float(row.get("duration_ms_sum") or 0.0),
        buckets=tuple(int(row.get(name) or 0) for name in RequestMinute.BUCKET_FIELDS),
        signin_failures=int(row.get("signin_failures") or 0),
    )


def request_stats(*, since: datetime, until: datetime | None = None) -> RequestStats:
    """Requests of the minutes in [since, until), summed (one query)."""
    rows = RequestMinute.objects.filter(minute__gte=since)
    if until is not None:
        rows = rows.filter(minute__lt=until)
    return _stats(rows.aggregate(**_SUMS))


def request_minutes(*, since: datetime, until: datetime) -> list[RequestMinute]:
    return list(RequestMinute.objects.filter(minute__gte=since, minute__lt=until))


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime
    requests: int
    mean_ms: float | None
    p95_ms: float | None


def response_series(*, now: datetime, hours: int = 24) -> list[SeriesPoint]:
    """One point per hour for the last ``hours`` hours (one query, summed in Python)."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=hours)
    per_hour: dict[datetime, list[RequestMinute]] = {}
    for row in request_minutes(since=start, until=end):
        per_hour.setdefault(row.minute.replace(minute=0, second=0, microsecond=0), []).append(row)
    points = []
    for index in range(hours):
        hour = start + timedelta(hours=index)
        rows = per_hour.get(hour, [])
        stats = _stats({key: sum(getattr(r, key) for r in rows) for key in _SUM_FIELDS})
        points.append(SeriesPoint(hour, stats.requests, stats.mean_ms, stats.p95_ms))
    return points


@dataclass(frozen=True)
class Uptime:
    samples: int
    healthy: int
    per_service: dict[str, float | None]

    @property
    def ratio(self) -> float | None:
        return self.healthy / self.samples if self.samples else None


def uptime(*, now: datetime, days: int = 30, services: tuple[str, ...] = ()) -> Uptime:
    """Share of the last ``days`` days' samples that were healthy, overall and per check
    (one query). Minutes without a sample (no worker running) are not counted."""
    since = now - timedelta(days=days)
    # A check that cannot tell ("unknown", e.g. backups) does not count as down.
    counts = {
        f"ok_{name}": Count("pk", filter=Q(**{f"services__{name}__in": ["ok", "unknown"]}))
        for name in services
    }
    row = HealthSample.objects.filter(minute__gte=since).aggregate(
        samples=Count("pk"), healthy=Count("pk", filter=Q(healthy=True)), **counts
    )
    samples = int(row["samples"] or 0)
    return Uptime(
        samples=samples,
        healthy=int(row["healthy"] or 0),
        per_service={
            name: (int(row[f"ok_{name}"] or 0) / samples if samples else None) for name in services
        },
    )
