"""Per-minute aggregates: the in-process counter, the shared rows, percentiles, uptime,
health samples and pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core.metrics import MINUTE_BUCKETS_MS, MinuteAggregator, MinuteCounts
from syllabus.ops import aggregates
from syllabus.ops.models import HealthSample, RequestMinute

T0 = 1_800_000_000  # a minute boundary (divisible by 60)


def test_the_aggregator_counts_per_minute_and_hands_over_finished_minutes():
    counter = MinuteAggregator()
    counter.add_request(status=200, duration_ms=30, now=T0 + 1)
    counter.add_request(status=404, duration_ms=120, now=T0 + 2)
    counter.add_request(status=503, duration_ms=9000, now=T0 + 59)
    counter.add_signin_failure(now=T0 + 10)
    counter.add_request(status=200, duration_ms=10, now=T0 + 61)  # the next minute
    taken = counter.take(now=T0 + 65)
    assert list(taken) == [T0]
    minute = taken[T0]
    assert (minute.requests, minute.errors_4xx, minute.errors_5xx) == (3, 1, 1)
    assert minute.signin_failures == 1
    assert minute.buckets == [1, 0, 1, 0, 0, 0, 0, 1]  # <=50, <=250, and above 5 s
    assert list(counter.take(include_current=True, now=T0 + 65)) == [T0 + 60]


def test_a_failed_flush_keeps_the_minutes_for_the_next_one():
    counter = MinuteAggregator()
    calls: list[dict[int, MinuteCounts]] = []

    def failing(taken):
        raise OSError("database down")

    counter.set_handler(failing)
    counter.add_request(status=200, duration_ms=5, now=time_machine_now() - 120)
    assert counter.flush() == 0
    counter.set_handler(calls.append)
    assert counter.flush() == 1
    assert calls[0] and next(iter(calls[0].values())).requests == 1


def time_machine_now() -> float:
    import time

    return time.time()


@pytest.mark.django_db
def test_minutes_from_several_processes_add_up_in_one_row():
    first, second = MinuteCounts(), MinuteCounts()
    for counts, n in ((first, 3), (second, 4)):
        counts.requests = n
        counts.errors_5xx = 1
        counts.duration_ms_sum = 100.0 * n
        counts.buckets[2] = n
        counts.signin_failures = 2
    aggregates.minutes_write({T0: first})
    aggregates.minutes_write({T0: second, T0 + 60: second})
    row = RequestMinute.objects.get(minute=datetime.fromtimestamp(T0, tz=UTC))
    assert (row.requests, row.errors_5xx, row.le_250, row.signin_failures) == (7, 2, 7, 4)
    assert row.duration_ms_sum == pytest.approx(700.0)
    assert RequestMinute.objects.count() == 2


@pytest.mark.django_db
def test_request_stats_give_rates_mean_and_p95():
    minute = datetime.fromtimestamp(T0, tz=UTC)
    RequestMinute.objects.create(
        minute=minute, requests=100, errors_4xx=4, errors_5xx=2, duration_ms_sum=15000,
        le_50=50, le_100=30, le_250=10, le_500=5, le_1000=5,
    )  # fmt: skip
    stats = aggregates.request_stats(since=minute)
    assert (stats.rate_4xx, stats.rate_5xx, stats.error_rate) == (0.04, 0.02, 0.06)
    assert stats.mean_ms == 150
    assert stats.p95_ms == pytest.approx(500.0)  # the 95th of 100 is the last of <=500
    assert aggregates.request_stats(since=minute + timedelta(minutes=1)).requests == 0


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=8, max_size=8))
def test_percentile_is_within_the_bucket_bounds(buckets):
    total = sum(buckets)
    p95 = aggregates.percentile_ms(tuple(buckets), total, 0.95)
    if total == 0:
        assert p95 is None
        return
    assert p95 is not None
    assert 0 <= p95 <= MINUTE_BUCKETS_MS[-1]
    p50 = aggregates.percentile_ms(tuple(buckets), total, 0.5)
    assert p50 is not None and p50 <= p95


@pytest.mark.django_db
def test_response_series_has_one_point_per_hour():
    now = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    RequestMinute.objects.create(
        minute=now.replace(minute=5), requests=10, duration_ms_sum=1000, le_100=10
    )
    RequestMinute.objects.create(
        minute=now.replace(hour=9, minute=0), requests=4, duration_ms_sum=800, le_250=4
    )
    series = aggregates.response_series(now=now, hours=24)
    assert len(series) == 24
    assert series[-1].start == now.replace(minute=0) and series[-1].mean_ms == 100
    assert series[-4].requests == 4 and series[-4].mean_ms == 200
    assert series[0].mean_ms is None


@pytest.mark.django_db
def test_health_samples_give_uptime_overall_and_per_check(client):
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC), tick=False):
        sample = aggregates.health_sample_take()
    assert sample.minute == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert sample.services["database"] == "ok"
    assert sample.disk_free_ratio is not None
    HealthSample.objects.create(
        minute=datetime(2026, 3, 1, 12, 1, tzinfo=UTC),
        healthy=False,
        services={"database": "error", "cache": "ok", "backup": "unknown"},
    )
    up = aggregates.uptime(
        now=datetime(2026, 3, 1, 13, 0, tzinfo=UTC), services=("database", "cache", "backup")
    )
    assert (up.samples, up.healthy, up.ratio) == (
        2,
        sample.healthy + 0,
        (1 if sample.healthy else 0) / 2,
    )
    assert up.per_service["database"] == 0.5
    assert up.per_service["cache"] == 1.0
    assert up.per_service["backup"] == 1.0  # "unknown" is not downtime


@pytest.mark.django_db
def test_prune_drops_what_is_older_than_the_keep_period(settings):
    settings.METRICS_KEEP_DAYS = 30
    now = datetime(2026, 3, 31, tzinfo=UTC)
    for days in (31, 29):
        RequestMinute.objects.create(minute=now - timedelta(days=days), requests=1)
        HealthSample.objects.create(minute=now - timedelta(days=days), healthy=True)
    assert aggregates.prune(now=now) == 2
    assert RequestMinute.objects.count() == 1 and HealthSample.objects.count() == 1


@pytest.mark.django_db
def test_requests_through_the_middleware_reach_the_table():
    from django.test import Client

    from syllabus.core.metrics import minutes

    minutes.reset()
    Client().get("/courses/")
    Client().get("/no/such/page/")
    Client().get("/health/live")  # probes are not aggregated
    assert minutes.flush(include_current=True) >= 1
    totals = aggregates.request_stats(since=datetime(2000, 1, 1, tzinfo=UTC))
    assert totals.requests == 2
    assert totals.errors_4xx == 1
