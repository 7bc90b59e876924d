"""``syllabus generate-field-key``: print a new field encryption key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.core.crypto import KEY_ID_PATTERN, generate_key


class Command(BaseCommand):
    help = (
        "Print a new random key for SYLLABUS_FIELD_KEYS as '<key id>:<base64>'. Put it first "
        "in the ring, keep the old keys after it, restart, then run 'syllabus rotate-keys'. "
        "Nothing is stored: the key exists only in this output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "key_id",
            nargs="?",
            default="",
            help="the new key's id (letters, digits, '-' or '_'); default: k<YYYYMMDD>",
        )

    def handle(self, *args: Any, key_id: str, **options: Any) -> None:
        from django.utils import timezone

        key_id = key_id or f"k{timezone.now():%Y%m%d}"
        if not KEY_ID_PATTERN.match(key_id):
            raise CommandError("A key id is 1-32 letters, digits, '-' or '_'.")
        self.stdout.write(f"{key_id}:{generate_key()}")
