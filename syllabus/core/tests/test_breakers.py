"""Named circuit breakers: the seed's semantics (5 failures open, 60 s to a trial, a
success closes), in memory, or in Redis shared by every process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from syllabus.core.breakers import (
    CircuitBreakerError,
    breaker,
    breaker_states,
    breakers_forget,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USES_REDIS = "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers_forget()
    yield
    breakers_forget()


class Down(Exception):
    pass


def fail() -> None:
    raise Down("the other system is down")


def test_the_registry_gives_one_breaker_per_name_with_the_settings():
    first = breaker("test-registry")
    assert breaker("test-registry") is first
    assert breaker("test-other") is not first
    assert first.fail_max == 5
    assert first.reset_timeout == 60
    assert breaker_states()["test-registry"] == "closed"


def test_five_failures_open_it_sixty_seconds_bring_a_trial_and_a_success_closes_it():
    calls = []

    def ok() -> str:
        calls.append("ok")
        return "sent"

    with time_machine.travel(START, tick=False) as traveller:
        b = breaker("test-semantics")
        for _ in range(4):
            with pytest.raises(Down):
                b.call(fail)
        with pytest.raises(CircuitBreakerError):  # the fifth failure opens it
            b.call(fail)
        assert b.current_state == "open"
        with pytest.raises(CircuitBreakerError):  # fails fast: ok() is not called
            b.call(ok)
        assert calls == []
        traveller.shift(timedelta(seconds=61))
        assert b.call(ok) == "sent"  # the trial call
        assert b.current_state == "closed"


def test_a_failed_trial_opens_it_again():
    with time_machine.travel(START, tick=False) as traveller:
        b = breaker("test-trial")
        for _ in range(5):
            with pytest.raises((Down, CircuitBreakerError)):
                b.call(fail)
        traveller.shift(timedelta(seconds=61))
        with pytest.raises(CircuitBreakerError):
            b.call(fail)
        assert b.current_state == "open"


def test_excluded_errors_do_not_count():
    class Refused(Exception):
        pass

    def refuse() -> None:
        raise Refused

    b = breaker("test-exclude", exclude=(Refused,))
    for _ in range(10):
        with pytest.raises(Refused):
            b.call(refuse)
    assert b.current_state == "closed"


def test_a_success_resets_the_failure_count():
    b = breaker("test-reset")
    for _ in range(4):
        with pytest.raises(Down):
            b.call(fail)
    b.call(lambda: None)
    for _ in range(4):
        with pytest.raises(Down):
            b.call(fail)
    assert b.current_state == "closed"


@pytest.mark.skipif(not USES_REDIS, reason="needs REDIS_URL: breaker state in Redis")
def test_with_redis_another_process_sees_the_breaker_open(tmp_path):
    # given another process whose calls keep failing
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYLLABUS_", "REDIS_URL"))}
    env.update(
        SYLLABUS_DEBUG="true",
        SYLLABUS_DATA_DIR=str(tmp_path),
        REDIS_URL=str(settings.CACHES["default"]["LOCATION"]),  # this test worker's database
        DJANGO_SETTINGS_MODULE="syllabus.config.settings",
    )
    script = (
        "import django; django.setup()\n"
        "from syllabus.core.breakers import breaker\n"
        "b = breaker('test-shared')\n"
        "def fail(): raise OSError('down')\n"
        "for _ in range(5):\n"
        "    try: b.call(fail)\n"
        "    except Exception: pass\n"
        "print(b.current_state)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    # (the JSON log lines of the state changes come first)
    assert result.stdout.strip().splitlines()[-1] == "open", result.stderr
    # then this process's breaker of the same name is open too: calls fail fast
    with pytest.raises(CircuitBreakerError):
        breaker("test-shared").call(lambda: None)
