"""Background jobs of the courses app: they load by id (or take nothing) and call services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from syllabus.core.jobs import job
from syllabus.courses.services_enrolment import enrolments_expire, import_apply_queued


@db_periodic_task(crontab(hour="2", minute="41"))
def enrolments_expire_task() -> int:
    """Daily: end learner enrolments whose last day has passed (audited
    ``enrolment.expired``), then give freed places to the waiting list. Until it runs,
    ``services_enrolment.active_learner_q`` already treats those learners as not enrolled."""
    return enrolments_expire()


@job()
def enrolment_import_apply_task(import_id: int, actor_id: int | None) -> None:
    """Apply a large bulk-enrolment import (queued by the import page or API)."""
    import_apply_queued(import_id=import_id, actor_id=actor_id)
