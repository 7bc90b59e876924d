"""Jobs that exist only for the test suite (imported by the tests that use them)."""

from __future__ import annotations

from syllabus.core.jobs import job

CALLS: list[int] = []


@job(retries=0)
def always_fails(user_id: int) -> None:
    CALLS.append(user_id)
    raise RuntimeError(f"cannot process user {user_id}")


@job(retries=2, retry_delay=10, retry_backoff=2.0)
def fails_then_retries(user_id: int) -> None:
    CALLS.append(user_id)
    raise ConnectionError("upstream is down")


@job(retries=0)
def records(user_id: int) -> None:
    CALLS.append(user_id)
