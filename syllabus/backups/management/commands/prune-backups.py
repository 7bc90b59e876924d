from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)
from django.template.defaultfilters import pluralize

from syllabus.backups.crypto import BackupError
from syllabus.backups.services import backups_prune


class Command(BaseCommand):
    help = (
        "Delete backup archives older than SYLLABUS_BACKUP_RETENTION_DAYS (the newest archive "
        "is always kept)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
        )

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        try:
            run = backups_prune(dry_run=dry_run)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        deleted = run.details["deleted"]
        verb = "Would delete" if dry_run else "Deleted"
        for name in deleted:
            self.stdout.write(f"{verb} {name}")
        self.stdout.write(
            f"{verb} {len(deleted)} archive{pluralize(len(deleted))} older than "
            f"{settings.BACKUP_RETENTION_DAYS} days; {run.details['kept']} kept."
        )
