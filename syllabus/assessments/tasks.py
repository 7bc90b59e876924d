"""Background jobs of taking quizzes: every minute, submit the attempts whose time ran
out with what was saved (idempotent: an attempt submitted meanwhile is left alone)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.assessments.services_attempts import expire_attempts


@db_periodic_task(crontab(minute="*"))
def quiz_attempts_expire_task() -> int:
    """Every minute: close expired attempts (the page submits them too when open)."""
    return expire_attempts()
