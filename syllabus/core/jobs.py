"""Background jobs: the one decorator our tasks use, and enqueueing on commit.

Tasks take ids (never model instances) and call a service. A failing task is retried
with exponential backoff (10 s, 20 s, 40 s, 80 s, 160 s with the default settings); when its retries
are used up, the ops app's signal handler records it as a dead letter an admin can see
and re-run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from huey.contrib import djhuey

DEFAULT_RETRY_BACKOFF = 2.0


def job(
    *,
    retries: int | None = None,
    retry_delay: int | None = None,
    retry_backoff: float = DEFAULT_RETRY_BACKOFF,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a background job (a huey ``db_task`` with our retry policy).

    Retries and the first delay default to SYLLABUS_JOBS_RETRIES and
    SYLLABUS_JOBS_RETRY_DELAY; tasks modules are imported after settings load.
    """
    return djhuey.db_task(
        retries=settings.JOBS_RETRIES if retries is None else retries,
        retry_delay=settings.JOBS_RETRY_DELAY if retry_delay is None else retry_delay,
        retry_backoff=retry_backoff,
        **options,
    )


def enqueue_on_commit(task: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Enqueue ``task`` once the current transaction commits (at once outside one).

    A job enqueued inside a transaction that then rolls back would act on rows that do
    not exist; one enqueued before commit could run before its rows are visible.
    """
    transaction.on_commit(lambda: task(*args, **kwargs), robust=False)


def huey() -> Any:
    return djhuey.HUEY
