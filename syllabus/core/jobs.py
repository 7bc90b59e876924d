"""Background jobs: the one decorator our tasks use, and enqueueing on commit.

Tasks take ids (never model instances) and call a service. A failing task is retried
with exponential backoff (10 s, 20 s, 40 s, 80 s, 160 s by default); when its retries
are used up, the ops app's signal handler records it as a dead letter an admin can see
and re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from huey.contrib import djhuey

DEFAULT_RETRIES = 5
DEFAULT_RETRY_DELAY = 10
DEFAULT_RETRY_BACKOFF = 2.0


def job(
    *,
    retries: int = DEFAULT_RETRIES,
    retry_delay: int = DEFAULT_RETRY_DELAY,
    retry_backoff: float = DEFAULT_RETRY_BACKOFF,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background job (a huey ``db_task`` with our retry policy)."""
    return djhuey.db_task(
        retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff, **options
    )


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits (at once outside one).

    A job enqueued inside a transaction that then rolls back would act on rows that do
    not exist; one enqueued before commit could run before its rows are visible.
    """
    transaction.on_commit(lambda: task(*args, **kwargs), robust=False)


def huey() -> Any:
    return djhuey.HUEY
