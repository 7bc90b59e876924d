"""Background jobs of the learning app: load by id, call a service."""

from __future__ import annotations

from syllabus.core.jobs import job
from syllabus.learning.services import course_progress_recount


@job()
def course_progress_recount_task(course_id: int) -> None:
    """Recount a course's progress rows after its content changed (large courses)."""
    course_progress_recount(course_id=course_id)
