"""CSV import of manual grades: parse, preview each row's outcome, apply all or nothing.

The file has a header row with the columns ``email``, ``item`` and ``points`` (any order,
other columns ignored). ``item`` is the item's public id or its exact title; ``points``
empty clears the grade. Only manual items can be imported (quizzes and assignments grade
themselves; overrides need a reason each). Applying the same file twice changes nothing
the second time.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.accounts.models import User
from syllabus.audit.services import record
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services_enrolment import active_learner_q
from syllabus.grades.models import Grade, GradeItem
from syllabus.grades.services import _points, _refresh_completion_on_commit

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
REQUIRED_COLUMNS = ("email", "item", "points")


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


def _too_large() -> str:
    return _("The file is larger than %(kb)s KB.") % {"kb": MAX_BYTES // 1024}


@dataclass(frozen=True)
class RawRow:
    line: int
    email: str
    item: str
    points: str


def parse_grades_csv(data: bytes | str) -> list[RawRow]:
    """The rows of a grades CSV, or ImportFormatError saying what is wrong with the file."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise ImportFormatError(_too_large())
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFormatError(
                _("The file is not UTF-8 text: save it as CSV UTF-8.")
            ) from None
    else:
        text = data.removeprefix("\ufeff")
        if len(text.encode("utf-8")) > MAX_BYTES:
            raise ImportFormatError(_too_large())
    if "\x00" in text:
        raise ImportFormatError(_("The file contains NUL characters: it is not a CSV file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFormatError(
                _("The file is empty: it needs a header row email,item,points.")
            )
        names = [name.strip().casefold() for name in header]
        missing = [column for column in REQUIRED_COLUMNS if column not in names]
        if missing:
            raise ImportFormatError(
                _("The header row needs the columns email, item and points (missing: %(missing)s).")
                % {"missing": ", ".join(missing)}
            )
        index = {column: names.index(column) for column in REQUIRED_COLUMNS}
        rows: list[RawRow] = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFormatError(
                    _("The file has more than %(max)s rows.") % {"max": MAX_ROWS}
                )

            def cell(column: str, values: list[str] = values) -> str:
                position = index[column]
                return values[position].strip() if position < len(values) else ""

            rows.append(
                RawRow(
                    line=reader.line_num,
                    email=cell("email"),
                    item=cell("item"),
                    points=cell("points"),
                )
            )
    except csv.Error as exc:
        raise ImportFormatError(
            _("The file is not valid CSV: %(error)s.") % {"error": exc}
        ) from None
    if not rows:
        raise ImportFormatError(_("The file has a header but no rows."))
    return rows


class Outcome:
    UPDATE = "update"
    CLEAR = "clear"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class PreviewRow:
    line: int
    email: str
    item_label: str
    points_text: str
    outcome: str
    message: str = ""
    user: Any = None
    item: GradeItem | None = None
    points: Decimal | None = None
    previous: Decimal | None = None


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def errors(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.outcome == Outcome.ERROR]

    @property
    def changes(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.outcome in (Outcome.UPDATE, Outcome.CLEAR)]

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        counts = {Outcome.UPDATE: 0, Outcome.CLEAR: 0, Outcome.UNCHANGED: 0, Outcome.ERROR: 0}
        for row in self.rows:
            counts[row.outcome] += 1
        return counts


def import_preview(course: Course, rows: list[RawRow], *, lock: bool = False) -> Preview:
    """Each row's outcome against the course as it is now: four queries for the whole file.
    Errors: unknown learner, not a learner here, unknown item, not a manual item, not a
    number, out of range, listed twice."""
    items = list(GradeItem.objects.filter(course=course))
    by_id = {item.public_id: item for item in items}
    by_title: dict[str, list[GradeItem]] = {}
    for item in items:
        by_title.setdefault(item.title.casefold(), []).append(item)
    emails = {row.email.casefold() for row in rows if row.email}
    users = {
        user.email.casefold(): user
        for user in User.objects.filter(email__in=_email_variants(rows)).only(
            "pk", "email", "public_id", "full_name"
        )
        if user.email.casefold() in emails
    }
    learners = set(
        CourseMembership.objects.filter(
            active_learner_q(), course=course, user_id__in=[u.pk for u in users.values()]
        ).values_list("user_id", flat=True)
    )
    grades_qs = Grade.objects.filter(course=course, item__kind=GradeItem.Kind.MANUAL)
    if lock:
        grades_qs = grades_qs.select_for_update(of=("self",))
    existing = {
        (grade.user_id, grade.item_id): grade
        for grade in grades_qs.filter(user_id__in=list(learners))
    }
    seen: set[tuple[int, int]] = set()
    preview = Preview()
    for raw in rows:
        row = PreviewRow(
            line=raw.line,
            email=raw.email,
            item_label=raw.item,
            points_text=raw.points,
            outcome=Outcome.ERROR,
        )
        preview.rows.append(row)
        user = users.get(raw.email.casefold())
        candidates = [by_id[raw.item]] if raw.item in by_id else by_title.get(raw.item.casefold())
        if not raw.email:
            row.message = _("No email.")
        elif user is None:
            row.message = _("Unknown learner: no account has this email.")
        elif user.pk not in learners:
            row.message = _("Not enrolled: this person is not a learner in this course.")
        elif not candidates:
            row.message = _("Unknown item: no grade item has this id or title.")
        elif len(candidates) > 1:
            row.message = _("Two items have this title: use the item's id.")
        elif candidates[0].kind != GradeItem.Kind.MANUAL:
            row.message = _(
                "Only manual items can be imported (quizzes and assignments grade themselves)."
            )
        else:
            item = candidates[0]
            row.user, row.item = user, item
            key = (user.pk, item.pk)
            grade = existing.get(key)
            row.previous = grade.points if grade else None
            if key in seen:
                row.message = _("This learner and item are listed twice.")
                continue
            seen.add(key)
            if raw.points == "":
                row.points = None
            else:
                try:
                    row.points = _points(raw.points)
                except ValidationError:
                    row.message = _("Not a number (use at most two decimals).")
                    continue
                if row.points < 0 or row.points > item.max_points:
                    row.message = _("Out of range: points go from 0 to %(max)s.") % {
                        "max": item.max_points
                    }
                    continue
            if row.points == row.previous:
                row.outcome = Outcome.UNCHANGED
            else:
                row.outcome = Outcome.CLEAR if row.points is None else Outcome.UPDATE
    return preview


def _email_variants(rows: list[RawRow]) -> list[str]:
    # Emails are stored as typed; a case-insensitive IN without a function index: ask for
    # the forms people use (as written, lower case).
    variants: set[str] = set()
    for row in rows:
        if row.email:
            variants |= {row.email, row.email.lower()}
    return list(variants)


class ImportRejected(ValidationError):
    """The file has error rows: nothing was written."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        count = len(preview.errors)
        super().__init__(
            ngettext(
                "%(count)s row has errors: nothing was imported. Fix the file and upload it again.",
                "%(count)s rows have errors: nothing was imported. "
                "Fix the file and upload it again.",
                count,
            )
            % {"count": count}
        )


@transaction.atomic
def import_apply(*, actor: Any, course: Course, rows: list[RawRow]) -> Preview:
    """Write every change of the file in one transaction, or nothing when any row has an
    error (ImportRejected). One ``grade.import_applied`` audit event with the counts."""
    preview = import_preview(course, rows, lock=True)
    if not preview.ok:
        raise ImportRejected(preview)
    now = timezone.now()
    for row in preview.changes:
        assert row.item is not None
        assert row.user is not None
        grade, _created = Grade.objects.select_for_update().get_or_create(
            item=row.item, user=row.user, defaults={"course_id": course.pk}
        )
        grade.points = row.points
        grade.graded_at = now if row.points is not None else None
        grade.graded_by = actor if row.points is not None else None
        grade._change_reason = "CSV import"  # type: ignore[attr-defined]
        grade.save()
    counts = preview.counts()
    record(
        actor=actor,
        action="grade.import_applied",
        target=course,
        details={
            "course": course.public_id,
            "rows": len(preview.rows),
            "updated": counts[Outcome.UPDATE],
            "cleared": counts[Outcome.CLEAR],
            "unchanged": counts[Outcome.UNCHANGED],
        },
    )
    for user in {row.user.pk: row.user for row in preview.changes}.values():
        _refresh_completion_on_commit(user, course)
    return preview
