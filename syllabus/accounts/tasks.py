"""Background jobs of the accounts app."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.accounts.sessions import user_sessions_purge_stale


@db_periodic_task(crontab(minute="*/15"))
def sessions_purge_task() -> None:
    """Every 15 minutes: forget sessions past their limits (browsers that never came back)
    and Django's expired session rows."""
    user_sessions_purge_stale()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
