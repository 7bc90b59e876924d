from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.audit.services import purge_expired


@db_periodic_task(crontab(hour="3", minute="17"))
def audit_purge_expired_task() -> None:
    """Daily: remove audit events past their category's retention."""
    purge_expired()
