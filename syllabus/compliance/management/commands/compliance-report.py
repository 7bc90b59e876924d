"""``syllabus compliance-report``: the compliance evidence as text, CSV or PDF."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)
from django.utils import timezone

from syllabus.audit.services import record
from syllabus.compliance.evidence import Period, gather
from syllabus.compliance.report import STATUS_LABELS, report_csv, report_pdf


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Gather the compliance evidence (MFA coverage, access reviews, backups, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="first day of the period (default: 90 days ago)")
        parser.add_argument("--until", help="last day of the period (default: today)")
        parser.add_argument("--format", choices=("text", "csv", "pdf"), default="text")
        parser.add_argument(
            "--output", "-o", help="write to this file (required for pdf; default: stdout)"
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="exit with status 1 when any control failed, is missing or needs attention",
        )

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, **options: Any) -> None:
        tz = timezone.get_current_timezone()
        until = _day(options["until"]) if options["until"] else timezone.localdate()
        since = _day(options["since"]) if options["since"] else until - timedelta(days=90)
        if since > until:
            raise CommandError("--since is after --until.")
        period = Period(
            since=datetime.combine(since, time.min, tzinfo=tz),
            until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz),
        )
        items = gather(period)
        kind = options["format"]
        if kind == "pdf" and not options["output"]:
            raise CommandError("A PDF needs --output FILE.")
        if kind == "text":
            body = self._text(items, since, until).encode()
        elif kind == "csv":
            body = report_csv(items)
        else:
            body = report_pdf(items, period, settings.SITE_URL)
        if options["output"]:
            Path(options["output"]).write_bytes(body)
            self.stderr.write(f"Wrote {options['output']} ({len(body)} bytes).")
        else:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        if kind != "text":
            record(
                actor=None,
                action="export.run",
                details={"export": "compliance_report", "format": kind, "rows": len(items)},
            )
        if options["strict"] and any(i.status in ("failed", "missing", "attention") for i in items):
            raise CommandError("Some controls need attention (see the report).")

    def _text(self, items: list[Any], since: date, until: date) -> str:
        lines = [f"Compliance evidence, {since} to {until}", ""]
        for item in items:
            when = (
                timezone.localtime(item.as_of).strftime("%Y-%m-%d %H:%M") if item.as_of else "never"
            )
            lines.append(f"[{STATUS_LABELS[item.status]!s:<9}] {item.control}")
            lines.append(f"            {item.summary}")
            lines.append(f"            as of {when}; source: {item.source}")
        return "\n".join(lines) + "\n"
