from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from syllabus.accounts.models import Role
from syllabus.accounts.services import role_grant, user_create


class Command(BaseCommand):
    help = "Create an administrator account (superuser with the admin role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the administrator's email (login)")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument(
            "--password-file",
            type=Path,
            help="read the password from this file (or '-' for standard input); "
            "without it the password is asked for twice",
        )

    def handle(
        self, *args: Any, email: str, name: str, password_file: Path | None, **options: Any
    ) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not a valid email address.") from None
        password = self._password(password_file)
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None, email=email, password=password, full_name=name, is_superuser=True
                )
                role_grant(actor=None, user=user, role=Role.objects.get(slug="admin"))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.email} created."))

    @staticmethod
    def _password(password_file: Path | None) -> str:
        if password_file is not None:
            text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text()
            return text.rstrip("\n")
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: use --password-file.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return first
