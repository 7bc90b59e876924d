from __future__ import annotations

from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)
from django.template.defaultfilters import pluralize

from syllabus.backups.crypto import BackupError
from syllabus.backups.management.commands._common import describe
from syllabus.backups.services import backup_create, backup_verify, backups_prune


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the database and uploaded files to the backup location "
        "(SYLLABUS_BACKUP_DIR or SYLLABUS_BACKUP_S3_BUCKET). SQLite is copied with its online "
        "backup API, PostgreSQL with pg_dump -Fc; the site keeps running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--verify", action="store_true", help="then prove the new archive restores"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="then delete archives older than SYLLABUS_BACKUP_RETENTION_DAYS",
        )

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, verify: bool, prune: bool, **options: Any) -> None:
        try:
            self.stdout.write("Backing up...")
            run = backup_create()
            self.stdout.write(describe(run))
            if verify:
                self.stdout.write("Verifying (restore into a scratch database, compare)...")
                self.stdout.write(describe(backup_verify(name=run.archive)))
            if prune:
                pruned = backups_prune()
                self.stdout.write(f"Pruned {pruned.files} archive{pluralize(pruned.files)}.")
        except BackupError as exc:
            raise CommandError(str(exc)) from None
