"""The job queue: huey on Redis when REDIS_URL is set, otherwise on a SQLite file.

Tasks live in each app's ``tasks.py``, take ids and call services. Failed tasks retry
with backoff; a task that has used its retries lands in ``core.FailedJob`` (the
dead-letter record) through the signal handler in ``syllabus.core.jobs``.
"""

from __future__ import annotations

from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey


def build_huey(*, name: str, redis_url: str | None, sqlite_path: Path, immediate: bool) -> Huey:
    if immediate:
        # Jobs run inline, in the caller's process: tests and one-off scripts.
        return MemoryHuey(name, immediate=True, utc=True)
    if redis_url:
        return RedisHuey(name, url=redis_url, utc=True)
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(sqlite_path), utc=True)
