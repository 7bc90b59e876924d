"""Reading a bulk-enrolment CSV: bytes in, one checked row per line out.

The file must be UTF-8 (a byte-order mark is allowed, as Excel writes one), start with a
header line naming its columns, and use commas or semicolons (spreadsheets in many
locales save with semicolons). Columns:

- ``email`` (required): the account to enrol;
- ``role`` (optional, default ``learner``): a course role slug;
- ``cohort`` (optional): a cohort name, created when missing;
- ``ends_at`` (optional): an ISO date (YYYY-MM-DD), the last day of access.

File-level problems raise ``CsvError`` (the whole file is refused); problems in a row are
kept on that row (``Row.error``) so the preview can list every one. This module never
touches the database: the enrolment service decides what each valid row would do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_ROWS = 5000
COLUMNS = ("email", "role", "cohort", "ends_at")
_ALIASES = {"end_date": "ends_at", "ends": "ends_at", "group": "cohort", "e-mail": "email"}


class CsvError(ValueError):
    """The file as a whole cannot be read; ``code`` is the API error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Row:
    line: int  # the line number in the file (the header is line 1)
    email: str
    role: str
    cohort: str
    ends_at: date | None
    error: str = ""


@dataclass
class Parsed:
    text: str
    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes, *, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise CsvError(
            _("The file is larger than %(size)s KB: split it into smaller files.")
            % {"size": max_bytes // 1024},
            "file_too_large",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."),
            "bad_encoding",
        ) from None
    if "\x00" in text:
        raise CsvError(_("The file is not a CSV text file."), "bad_encoding")
    return text


def parse(data: bytes, *, max_bytes: int, max_rows: int = MAX_ROWS) -> Parsed:
    return parse_text(decode(data, max_bytes=max_bytes), max_rows=max_rows)


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def parse_text(text: str, *, max_rows: int = MAX_ROWS) -> Parsed:
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise CsvError(_("The file is empty: add a header line and one row per person."), "empty")
    delimiter = _delimiter(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    parsed = Parsed(text=text)
    header: list[str] | None = None
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank line
            if header is None:
                header = _read_header(values, parsed)
                continue
            if len(parsed.rows) >= max_rows:
                raise CsvError(
                    _("The file has more than %(max_rows)s rows: split it into smaller files.")
                    % {"max_rows": max_rows},
                    "too_many_rows",
                )
            parsed.rows.append(_read_row(line, header, values))
    except csv.Error as exc:
        raise CsvError(
            _("The file is not valid CSV: %(error)s.") % {"error": exc}, "invalid_csv"
        ) from None
    if header is None:
        raise CsvError(_("The file is empty: add a header line and one row per person."), "empty")
    return parsed


def _read_header(values: list[str], parsed: Parsed) -> list[str]:
    names = [_ALIASES.get(n, n) for n in (v.strip().lower().replace(" ", "_") for v in values)]
    if "email" not in names:
        raise CsvError(
            _(
                "The first line must be a header naming the columns, with an “email” column "
                "(and optionally role, cohort, ends_at)."
            ),
            "missing_header",
        )
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        raise CsvError(
            ngettext(
                "The header repeats the column %(columns)s.",
                "The header repeats the columns %(columns)s.",
                len(dupes),
            )
            % {"columns": ", ".join(dupes)},
            "bad_header",
        )
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        parsed.warnings.append(
            ngettext(
                "Ignored an unknown column: %(columns)s.",
                "Ignored unknown columns: %(columns)s.",
                len(unknown),
            )
            % {"columns": ", ".join(unknown)}
        )
    return names


def _read_row(line: int, header: list[str], values: list[str]) -> Row:
    extra = values[len(header) :]
    cells = {name: value.strip() for name, value in zip(header, values, strict=False)}
    email = cells.get("email", "")[:254]
    role = cells.get("role", "").lower()[:64]
    cohort = " ".join(cells.get("cohort", "").split())[:100]
    raw_date = cells.get("ends_at", "")
    error = ""
    ends_at: date | None = None
    if any(v.strip() for v in extra):
        error = _("Too many values: the header has %(count)s columns.") % {"count": len(header)}
    elif not email:
        error = _("Bad email: the email is missing.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            error = _("Bad email: %(email)s is not an email address.") % {"email": repr(email)}
    if raw_date:
        try:
            ends_at = date.fromisoformat(raw_date)
        except ValueError:
            error = error or _("Bad date: %(date)s is not a date like 2026-12-31.") % {
                "date": repr(raw_date[:40])
            }
    if len(cells.get("cohort", "")) > 100 and not error:
        error = _("Cohort names have at most 100 characters.")
    return Row(line=line, email=email, role=role, cohort=cohort, ends_at=ends_at, error=error)
