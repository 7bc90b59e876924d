"""Breaker transitions are logged and set the state gauge; ``guarded`` wraps a block; the
storage health check goes through the ``storage`` breaker; open breakers show on /health,
in /metrics and on the ops dashboard."""

from __future__ import annotations

import logging

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage

from syllabus.core import metrics
from syllabus.core.breakers import CircuitBreakerError, breaker, breakers_forget, guarded
from syllabus.ops.health import health_cache_clear

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    breakers_forget()
    health_cache_clear()
    yield
    breakers_forget()
    health_cache_clear()


def gauge(name: str) -> float:
    return float(metrics.BREAKER_STATE.labels(breaker=name)._value.get())


def _fail() -> None:
    raise ConnectionError("down")


def test_transitions_set_the_gauge_closed_open_half_open_closed(settings, caplog):
    settings.BREAKER_FAILURES = 2
    settings.BREAKER_RESET_SECONDS = 60
    caplog.set_level(logging.INFO, logger="syllabus.core.breakers")
    with time_machine.travel("2026-03-01 12:00:00Z", tick=False) as clock:
        gate = breaker("gauge-test")
        assert gauge("gauge-test") == 0
        for _ in range(2):
            with pytest.raises((ConnectionError, CircuitBreakerError)):
                gate.call(_fail)
        assert gate.current_state == "open"
        assert gauge("gauge-test") == 2
        with pytest.raises(CircuitBreakerError):
            gate.call(lambda: "not called")
        clock.shift(61)
        assert gate.call(lambda: "trial") == "trial"
        assert gate.current_state == "closed"
        assert gauge("gauge-test") == 0
    changes = [r.getMessage() for r in caplog.records if "breaker.state_changed" in r.getMessage()]
    assert len(changes) >= 3  # open, half-open, closed


def test_guarded_runs_a_block_as_one_call(settings):
    settings.BREAKER_FAILURES = 1
    with guarded("block-test"):
        pass
    with pytest.raises((ConnectionError, CircuitBreakerError)), guarded("block-test"):
        raise ConnectionError("down")
    ran = []
    with pytest.raises(CircuitBreakerError), guarded("block-test"):
        ran.append(True)
    assert ran == []


def test_a_failing_storage_opens_its_breaker_and_health_says_so(client, settings, monkeypatch):
    settings.BREAKER_FAILURES = 2

    def broken(*args, **kwargs):
        raise OSError("the bucket does not answer")

    # Below the guarded storage class, so the breaker sees the failures; an outage fails
    # every call (a successful one would reset the count).
    for method in ("exists", "_save", "_open", "delete"):
        monkeypatch.setattr(FileSystemStorage, method, broken)
    for _ in range(2):
        health_cache_clear()
        assert client.get("/health").json()["services"]["storage"]["status"] == "error"
    health_cache_clear()
    report = client.get("/health").json()
    assert report["services"]["storage"]["message"] == (
        "the storage circuit breaker is open: recent calls failed"
    )
    assert report["services"]["external"]["breakers"]["storage"] == "open"
    assert report["services"]["external"]["status"] == "error"


def test_an_open_breaker_shows_on_the_ops_dashboard(client, admin_user):
    gate = breaker("dashboard-test")
    gate.open()
    client.force_login(admin_user)
    page = client.get("/ops/").content.decode()
    assert "Circuit breaker open:</strong> dashboard-test" in page
    gate.close()
