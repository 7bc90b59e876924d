from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from syllabus.audit.models import AuditEvent
from syllabus.audit.services import purge_expired, record, verify_all


class Command(BaseCommand):
    help = "Check or maintain the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{verify,purge}")
        sub.add_parser(
            "verify",
            help="check every event's hash and link; report the first broken link of each chain",
        )
        sub.add_parser(
            "purge",
            help="remove events older than their category's retention period "
            "(2 years for sign-ins, 7 for data changes and admin actions, ...)",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self._verify()
        else:
            removed = purge_expired()
            total = sum(removed.values())
            self.stdout.write(self.style.SUCCESS(f"Removed {total} expired audit events."))
            for category, count in removed.items():
                self.stdout.write(f"  {category}: {count}")

    def _verify(self) -> None:
        total = AuditEvent.objects.count()
        with Progress(
            TextColumn("Verifying audit trail"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            disable=total < 1000 or not self.stdout.isatty(),
        ) as progress:
            bar = progress.add_task("verify", total=total)
            reports = verify_all(on_event=lambda: progress.advance(bar))
        broken = [r for r in reports if not r.ok]
        for report in reports:
            status = "ok" if report.ok else "BROKEN"
            head = f"  head #{report.head_seq} {report.head_hash}" if report.head_hash else ""
            self.stdout.write(f"  {report.category:<18} {report.checked:>8} events  {status}{head}")
        self.stdout.write(
            "Keep the head hashes somewhere outside this database: a later run whose heads "
            "do not extend them shows that recent events were removed."
        )
        record(
            actor=None,
            action="audit.verified",
            details={"events": total, "broken": [r.category for r in broken]},
        )
        if broken:
            lines = [
                f"{r.category}: first broken link is event id {r.broken_event_id} "
                f"(chain #{r.broken_chain_seq}): {r.reason}"
                for r in broken
            ]
            raise CommandError("Audit trail verification FAILED.\n" + "\n".join(lines))
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {total} events verified."))
