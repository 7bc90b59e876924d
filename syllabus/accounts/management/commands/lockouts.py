from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_ipv46_address
from django.template.defaultfilters import pluralize
from django.utils import timezone

from syllabus.accounts.lockout import lockout_clear, lockout_list


class Command(BaseCommand):
    help = "List sign-in lockouts, or clear one account's or one address's failed sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,clear}")
        sub.add_parser("list", help="accounts and IP addresses locked now")
        clear = sub.add_parser("clear", help="forget the failed sign-ins of one account or address")
        target = clear.add_mutually_exclusive_group(required=True)
        target.add_argument("--email", help="the account's email address")
        target.add_argument("--ip", help="the IP address")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "list":
            self._list()
        else:
            self._clear(email=options.get("email"), ip=options.get("ip"))

    def _list(self) -> None:
        lockouts = lockout_list()
        if not lockouts:
            self.stdout.write("Nothing is locked.")
            return
        now = timezone.now()
        self.stdout.write(f"{'kind':<8} {'account or address':<40} {'failures':>8}  until")
        for lockout in lockouts:
            minutes = max(0, int((lockout.until - now).total_seconds() // 60) + 1)
            self.stdout.write(
                f"{lockout.kind:<8} {lockout.value:<40} {lockout.failures:>8}  "
                f"{lockout.until:%Y-%m-%d %H:%M} UTC (about {minutes} min)"
            )

    def _clear(self, *, email: str | None, ip: str | None) -> None:
        if ip:
            try:
                validate_ipv46_address(ip)
            except ValidationError:
                raise CommandError(f"{ip!r} is not an IP address.") from None
        try:
            removed = lockout_clear(actor=None, email=email, ip=ip)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Cleared {removed} failed sign-in record{pluralize(removed)} for {email or ip}."
            )
        )
