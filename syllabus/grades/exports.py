"""The gradebook as CSV: audited with its row count, streamed, safe to open in a
spreadsheet (cells that would be formulas are prefixed, like the roster export)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db import transaction
from django.utils import timezone

from syllabus.audit.services import record
from syllabus.courses.models import Course
from syllabus.grades.selectors import active_learners, grid_rows, scheme
from syllabus.grades.services import UNCATEGORISED_NAME
from syllabus.learning.exports import csv_safe

CHUNK = 500


class _Echo:
    def write(self, value: str) -> str:
        return value


def _number(value: Any) -> str:
    return "" if value is None else str(value)


def gradebook_csv(*, actor: Any, course: Course) -> tuple[Iterator[str], int]:
    """Record the export (``export.run`` with the row count), then the CSV lines: one row
    per current learner, a column per item (the points that count, overrides included),
    one per category percent, the course percent and letter."""
    the_scheme = scheme(course)
    memberships = active_learners(course)
    count = memberships.count()
    with transaction.atomic():
        record(
            actor=actor,
            action="export.run",
            target=course,
            details={
                "export": "gradebook",
                "course": course.public_id,
                "rows": count,
                "items": len(the_scheme.items),
            },
        )
    groups: list[tuple[int | None, str]] = [(c.pk, c.name) for c in the_scheme.categories]
    if any(
        item.category_id is None or item.category_id not in the_scheme.weights
        for item in the_scheme.items
    ):
        groups.append((None, UNCATEGORISED_NAME))
    header = [
        "email",
        "full_name",
        *(f"{item.title} ({item.public_id}, max {item.max_points})" for item in the_scheme.items),
        *(f"{name} %" for _, name in groups),
        "course_percent",
        "letter",
    ]
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([csv_safe(cell) for cell in header])
        iterator = memberships.iterator(chunk_size=CHUNK)
        while chunk := list(islice(iterator, CHUNK)):
            for row in grid_rows(course, chunk, the_scheme):
                yield writer.writerow(
                    [
                        csv_safe(row.user.email),
                        csv_safe(row.user.full_name),
                        *(_number(grade and grade.effective_points) for _, grade in row.cells),
                        *(_number(_group_percent(row.result, key)) for key, _ in groups),
                        _number(row.result.percent),
                        row.result.letter,
                    ]
                )

    return lines(), count


def _group_percent(result: Any, key: int | None) -> Any:
    group = result.groups.get(key)
    return group.percent if group else None


def gradebook_filename(course: Course) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"gradebook-{course.slug[:60]}-{stamp}.csv"
