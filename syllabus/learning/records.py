"""FERPA: every view of learners' education records by staff is an audit event in the
course access category (``records.viewed``: who, which course, what, and the learner when
it is one person's records). Learners looking at their own records are not recorded here
(their activity is already in their progress)."""

from __future__ import annotations

from typing import Any

from syllabus.audit.services import record
from syllabus.courses.models import Course


def record_records_view(
    *, viewer: Any, course: Course, records: str, learner: Any = None, **details: Any
) -> None:
    """Call from staff views and API endpoints that show learners' progress, grades,
    attempts or submissions. ``records`` names what was seen ("roster", "gradebook"...)."""
    if learner is not None and getattr(learner, "pk", None) == getattr(viewer, "pk", None):
        return
    # record() is a transaction of its own: one more around it only added a savepoint
    # (two round trips on every staff page that shows records).
    record(
        actor=viewer,
        action="records.viewed",
        target=course,
        details={
            "records": records,
            "course": course.public_id,
            **({"learner": learner.public_id} if learner is not None else {}),
            **details,
        },
    )
