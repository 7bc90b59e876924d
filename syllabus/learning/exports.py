"""The roster as CSV: audited, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from syllabus.audit.services import record
from syllabus.courses.models import Course
from syllabus.learning.directory import WITHHELD, listed, sees_withheld_directory
from syllabus.learning.selectors import required_lesson_ids, roster

COLUMNS = (
    "email", "full_name", "cohort", "enrolled_at", "percent", "completed_lessons",
    "required_lessons", "last_activity_at", "completed_at",
)  # fmt: skip

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (CSV injection, OWASP): such cells get a leading apostrophe, shown as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _when(value: Any) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def roster_csv(
    *, actor: Any, course: Course, sort: str = "name", cohort: str = ""
) -> tuple[Iterator[str], int]:
    """Record the export (``export.run``: what, course, filters, rows), then the CSV
    lines of the roster, header first, streamed from the database in chunks."""
    rows = roster(course, sort=sort, cohort=cohort)
    count = rows.count()
    required = required_lesson_ids(course.pk).count()
    with transaction.atomic():
        record(
            actor=actor,
            action="export.run",
            target=course,
            details={
                "export": "course_roster",
                "course": course.public_id,
                "filters": {"sort": sort, "cohort": cohort},
                "rows": count,
            },
        )
    writer = csv.writer(_Echo())
    sees_all = sees_withheld_directory(actor)

    def lines() -> Iterator[str]:
        yield writer.writerow(COLUMNS)
        for membership in rows.iterator(chunk_size=2000):
            user = listed(
                membership.user,
                opted_out=membership.directory_opt_out,  # type: ignore[attr-defined]
                viewer_sees_all=sees_all,
            )
            yield writer.writerow(
                [
                    csv_safe(user.email or WITHHELD),
                    csv_safe(user.full_name or (WITHHELD if user.withheld else "")),
                    csv_safe(membership.cohort.name if membership.cohort else ""),
                    _when(membership.created_at),
                    membership.progress_percent,  # type: ignore[attr-defined]
                    membership.progress_completed,  # type: ignore[attr-defined]
                    required,
                    _when(membership.progress_activity),  # type: ignore[attr-defined]
                    _when(membership.progress_completed_at),  # type: ignore[attr-defined]
                ]
            )

    return lines(), count


def roster_filename(course: Course) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"roster-{course.slug[:60]}-{stamp}.csv"
