from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from syllabus.backups.crypto import BackupError
from syllabus.backups.management.commands._common import describe
from syllabus.backups.services import backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive (a name in the backup location, or a path) into this "
        "installation's database and uploaded files. The archive is checked completely "
        "first; a database that is not empty is replaced only with --force. Stop the web "
        "servers and workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="an archive name in the backup location, or a path")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )
        parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (scripts)"
        )
        parser.add_argument("--skip-media", action="store_true", help="restore the database only")

    @no_translations  # operator output stays English, whatever the site's language
    def handle(
        self, *args: Any, archive: str, force: bool, yes: bool, skip_media: bool, **options: Any
    ) -> None:
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(
                    "Restoring replaces data: confirm by typing 'restore' at a terminal, or "
                    "pass --yes."
                )
            self.stdout.write(
                f"This replaces the database{'' if skip_media else ' and uploaded files'} "
                f"with the contents of {archive}."
            )
            answer = input("Type 'restore' to go on: ")
            if answer.strip() != "restore":
                raise CommandError("Not confirmed: nothing was changed.")
        try:
            run = backup_restore(source=archive, force=force, media=not skip_media)
        except BackupError as exc:
            raise CommandError(f"Restore failed: {exc}") from None
        self.stdout.write(describe(run))
        problems = run.details.get("problems") or []
        if problems:
            raise CommandError(
                "Restored, but the database differs from the manifest: " + "; ".join(problems[:5])
            )
        previous = (run.details.get("media") or {}).get("previous_media")
        if previous:
            self.stdout.write(f"The previous uploaded files are kept in {previous}.")
        self.stdout.write(
            self.style.SUCCESS("Restored. Run `syllabus migrate` if this version is newer.")
        )
