from __future__ import annotations

from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from syllabus.backups.crypto import BackupError
from syllabus.backups.management.commands._common import describe
from syllabus.backups.services import backup_verify


class Command(BaseCommand):
    help = (
        "Prove a backup restores: decrypt it (checking every authentication tag), check the "
        "checksums of the dump and of every file, restore the database into a scratch "
        "database and compare each table's row count and checksum with the manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "archive",
            nargs="?",
            default="",
            help="an archive name in the backup location, or a path (default: the newest)",
        )

    @no_translations  # operator output stays English, whatever the site's language
    def handle(self, *args: Any, archive: str, **options: Any) -> None:
        try:
            run = backup_verify(name=archive)
        except BackupError as exc:
            raise CommandError(f"Verification failed: {exc}") from None
        self.stdout.write(describe(run))
        self.stdout.write(self.style.SUCCESS("The backup restores and matches its manifest."))
