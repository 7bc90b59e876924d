from __future__ import annotations

from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from syllabus.backups.crypto import BackupError
from syllabus.backups.location import backup_location
from syllabus.backups.management.commands._common import size_text
from syllabus.backups.models import BackupRun


class Command(BaseCommand):
    help = "List the backup archives in the backup location, newest first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="at most this many (50)")

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        try:
            location = backup_location()
            archives = location.list()[: max(1, limit)]
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not archives:
            self.stdout.write(f"No archives in {location.description}. Run `syllabus backup`.")
            return
        verified = dict(
            BackupRun.objects.filter(
                kind=BackupRun.Kind.BACKUP, archive__in=[a.name for a in archives]
            ).values_list("archive", "verification")
        )
        self.stdout.write(f"Archives in {location.description}:")
        for archive in archives:
            state = verified.get(archive.name) or "not verified"
            self.stdout.write(f"  {archive.name}  {size_text(archive.size):>9}  {state}")
