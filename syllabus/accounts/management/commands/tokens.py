from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from syllabus.accounts.models import ApiToken, User
from syllabus.accounts.tokens import token_create, token_list, token_revoke, token_status


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens (acting as the operator)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = actions.add_parser(
            "create",
            help="create a token for a user and print it once",
            description="Create a token for a user. It is printed once and never again.",
        )
        create.add_argument("--email", required=True, help="the token owner's email")
        create.add_argument("--name", required=True, help="what will use the token")
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"days until it expires (default {settings.API_TOKEN_DEFAULT_DAYS}, "
            f"at most {settings.API_TOKEN_MAX_DAYS})",
        )
        create.add_argument(
            "--scope",
            action="append",
            default=[],
            dest="scopes",
            metavar="PERMISSION",
            help="a permission code the token may use (repeat; each must be held by the owner)",
        )

        listing = actions.add_parser("list", help="list a user's tokens")
        listing.add_argument("--email", required=True, help="the tokens' owner")

        revoke = actions.add_parser("revoke", help="revoke a token by its public id")
        revoke.add_argument("public_id", help="the token's id, tok_...")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            self._create(options["email"], options["name"], options["days"], options["scopes"])
        elif action == "list":
            self._list(options["email"])
        else:
            self._revoke(options["public_id"])

    @staticmethod
    def _user(email: str) -> User:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email address {email!r}.")
        return user

    def _create(self, email: str, name: str, days: int | None, scopes: list[str]) -> None:
        user = self._user(email)
        try:
            new = token_create(
                actor=None, user=user, name=name, scopes=scopes, days=days, via="cli"
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Token {new.token.public_id} for {user.email}, expires "
            f"{new.token.expires_at:%Y-%m-%d %H:%M} UTC, scopes: "
            f"{', '.join(new.token.scopes) or 'none'}.\n"
            "It is shown once, below; store it now."
        )
        self.stdout.write(new.plain)

    def _list(self, email: str) -> None:
        user = self._user(email)
        tokens = list(token_list(user=user))
        if not tokens:
            self.stdout.write(f"{user.email} has no API tokens.")
            return
        now = timezone.now()
        header = ("ID", "NAME", "PREFIX", "STATUS", "EXPIRES", "LAST USED", "SCOPES")
        rows = [header] + [
            (
                token.public_id,
                token.name,
                token.prefix,
                token_status(token, now=now),
                f"{token.expires_at:%Y-%m-%d}",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                ",".join(token.scopes) or "-",
            )
            for token in tokens
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]))

    def _revoke(self, public_id: str) -> None:
        token = ApiToken.objects.select_related("user").filter(public_id=public_id).first()
        if token is None:
            raise CommandError(f"No API token with the id {public_id!r}.")
        if token_revoke(actor=None, token=token):
            self.stdout.write(self.style.SUCCESS(f"Token {public_id} ({token.name}) revoked."))
        else:
            self.stdout.write(f"Token {public_id} was already revoked.")
