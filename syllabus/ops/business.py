"""Business and capacity numbers, computed at scrape time and kept for a minute.

Each is one cheap aggregate query (indexed columns); together they are computed at most
once per SYLLABUS_METRICS_BUSINESS_SECONDS for every process (kept in the cache, and in
this process's memory when the cache is down), so scrapes and dashboard views cannot add
load to the database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from syllabus.accounts.models import User, UserSession
from syllabus.core import jobs
from syllabus.courses.models import CourseMembership
from syllabus.learning.models import CourseProgress
from syllabus.ops import aggregates
from syllabus.ops.models import FailedJob

log = structlog.get_logger(__name__)
CACHE_KEY = "ops:business-numbers:v1"


@dataclass(frozen=True)
class BusinessNumbers:
    active_users_5m: int
    active_users_1d: int
    sessions: int
    new_users_today: int
    enrolments: int
    completions: int
    average_progress: float  # percent, 0-100
    computed_at: float  # epoch seconds


def compute() -> BusinessNumbers:
    """The numbers, from the database now (5 queries)."""
    now = timezone.now()
    idle_cutoff = now - timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    active = UserSession.objects.aggregate(
        m5=Count("user", distinct=True, filter=_since(now - timedelta(minutes=5))),
        d1=Count("user", distinct=True, filter=_since(now - timedelta(days=1))),
        sessions=Count("pk", filter=_since(idle_cutoff)),
    )
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    progress = CourseProgress.objects.aggregate(
        completions=Count("pk", filter=_completed()), average=Avg("percent")
    )
    return BusinessNumbers(
        active_users_5m=int(active["m5"] or 0),
        active_users_1d=int(active["d1"] or 0),
        sessions=int(active["sessions"] or 0),
        new_users_today=User.objects.filter(date_joined__gte=today).count(),
        enrolments=CourseMembership.objects.filter(role__slug="learner").count(),
        completions=int(progress["completions"] or 0),
        average_progress=round(float(progress["average"] or 0.0), 1),
        computed_at=time.time(),
    )


def _since(moment: Any) -> Any:
    from django.db.models import Q

    return Q(last_seen_at__gte=moment)


def _completed() -> Any:
    from django.db.models import Q

    return Q(completed_at__isnull=False)


_memory_lock = threading.Lock()
_memory: BusinessNumbers | None = None


def numbers() -> BusinessNumbers:
    """The numbers, at most SYLLABUS_METRICS_BUSINESS_SECONDS old."""
    global _memory
    ttl = settings.METRICS_BUSINESS_SECONDS
    now = time.time()
    if ttl > 0:
        with _memory_lock:
            if _memory is not None and 0 <= now - _memory.computed_at < ttl:
                return _memory
        cached = cache.get(CACHE_KEY)
        if isinstance(cached, dict):
            try:
                found = BusinessNumbers(**cached)
            except TypeError:
                found = None
            if found is not None and 0 <= now - found.computed_at < ttl:
                with _memory_lock:
                    _memory = found
                return found
    fresh = compute()
    if ttl > 0:
        cache.set(CACHE_KEY, asdict(fresh), timeout=ttl)
        with _memory_lock:
            _memory = fresh
    return fresh


def numbers_forget() -> None:
    global _memory
    with _memory_lock:
        _memory = None
    cache.delete(CACHE_KEY)


def tls_certificate_expiry() -> float | None:
    """Expiry (epoch seconds) of the certificate in SYLLABUS_TLS_CERT_FILE, if set."""
    path = settings.TLS_CERT_FILE
    if not path:
        return None
    from cryptography import x509

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        certificate = (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except (OSError, ValueError) as exc:
        log.warning("metrics.certificate_unreadable", error=type(exc).__name__)
        return None
    return certificate.not_valid_after_utc.timestamp()


class SyllabusCollector(Collector):
    """Gauges computed when /metrics is scraped (business, queue, capacity)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._business()
        yield from self._queue()
        yield from self._capacity()

    @staticmethod
    def _gauge(name: str, documentation: str, value: float | None) -> Iterator[GaugeMetricFamily]:
        if value is not None:
            yield GaugeMetricFamily(name, documentation, value=value)

    def _business(self) -> Iterator[GaugeMetricFamily]:
        try:
            found = numbers()
        except Exception as exc:
            log.warning("metrics.business_failed", error=type(exc).__name__)
            return
        active = GaugeMetricFamily(
            "syllabus_active_users",
            "Distinct signed-in users seen in the window (5m or 1d).",
            labels=["window"],
        )
        active.add_metric(["5m"], found.active_users_5m)
        active.add_metric(["1d"], found.active_users_1d)
        yield active
        yield from self._gauge(
            "syllabus_sessions_active", "Browser sessions not idle too long.", found.sessions
        )
        yield from self._gauge(
            "syllabus_users_new_today", "Accounts created since midnight.", found.new_users_today
        )
        yield from self._gauge(
            "syllabus_enrolments", "Learner memberships in courses.", found.enrolments
        )
        yield from self._gauge(
            "syllabus_course_completions", "Course progress records completed.", found.completions
        )
        yield from self._gauge(
            "syllabus_course_progress_average_ratio",
            "Average course progress of enrolled learners (0 to 1).",
            found.average_progress / 100,
        )

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        try:
            queue = jobs.huey()
            pending = 0 if queue.immediate else int(queue.pending_count())
            failed = FailedJob.objects.filter(rerun_at__isnull=True).count()
        except Exception as exc:
            log.warning("metrics.queue_failed", error=type(exc).__name__)
            return
        yield from self._gauge("syllabus_jobs_pending", "Jobs waiting in the queue.", pending)
        yield from self._gauge("syllabus_jobs_dead_letters", "Failed jobs not yet re-run.", failed)

    def _capacity(self) -> Iterator[GaugeMetricFamily]:
        yield from self._gauge(
            "syllabus_disk_free_ratio",
            "Free share of the disk holding SYLLABUS_DATA_DIR (0 to 1).",
            aggregates.disk_free_ratio(),
        )
        try:
            pair = aggregates.db_connections()
        except Exception as exc:
            log.warning("metrics.db_connections_failed", error=type(exc).__name__)
            pair = None
        if pair is not None:
            yield from self._gauge(
                "syllabus_db_connections", "Connections open on the PostgreSQL server.", pair[0]
            )
            yield from self._gauge(
                "syllabus_db_connections_max", "The server's max_connections.", pair[1]
            )
        yield from self._gauge(
            "syllabus_tls_certificate_expiry_timestamp_seconds",
            "When the certificate in SYLLABUS_TLS_CERT_FILE expires (epoch seconds).",
            tls_certificate_expiry(),
        )
