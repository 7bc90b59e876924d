from __future__ import annotations

from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from syllabus.privacy.retention import RetentionBusy, retention_preview, retention_run


class Command(BaseCommand):
    help = (
        "Apply the data retention policy (docs/privacy.md): erase inactive profiles, "
        "anonymise old progress, archive old results and privacy records, delete old logs, "
        "archive and purge expired audit events. Resumes an interrupted run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would happen, per category, with counts; change nothing",
        )

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if dry_run:
            self._table(retention_preview(), "Would")
            self.stdout.write("Dry run: nothing was changed.")
            return
        try:
            run = retention_run()
        except RetentionBusy as exc:
            raise CommandError(str(exc)) from None
        self._table(run.results, "Did")
        for result in run.results.values():
            for archive in result.get("archives", []):
                self.stdout.write(f"  archive {archive['file']}  sha256 {archive['sha256']}")
        self.stdout.write(
            self.style.SUCCESS(f"Retention run {run.public_id} completed ({run.archive_dir}).")
        )

    def _table(self, results: dict[str, dict[str, Any]], verb: str) -> None:
        header = f"{'category':<20} {'kept for':>10}  {'then':<16} {'people':>7} {'rows':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for category, result in results.items():
            rows = result.get("rows", {})
            self.stdout.write(
                f"{category:<20} {str(result['period_days']) + ' d':>10}  "
                f"{result['disposal']:<16} {result.get('people', 0):>7} {sum(rows.values()):>9}"
            )
            for label, count in sorted(rows.items()):
                self.stdout.write(f"    {verb.lower()} {result['disposal']}: {label} {count}")
