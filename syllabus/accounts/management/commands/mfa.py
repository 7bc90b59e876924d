from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.accounts.mfa import mfa_overview, mfa_reset
from syllabus.accounts.models import User


class Command(BaseCommand):
    help = "See or reset a user's two-step verification (MFA)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{status,reset}")
        status = sub.add_parser("status", help="a user's second factors and MFA policy")
        status.add_argument("--email", required=True)
        reset = sub.add_parser(
            "reset",
            help="remove every second factor of a user who lost them (audited as auth.mfa_reset)",
        )
        reset.add_argument("--email", required=True)

    def handle(self, *args: Any, action: str, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the email address {email!r}.")
        if action == "reset":
            removed = mfa_reset(actor=None, user=user)
            if removed:
                self.stdout.write(
                    self.style.SUCCESS(f"Removed from {user.email}: {', '.join(removed)}.")
                )
            else:
                self.stdout.write(f"{user.email} had no second factor; nothing removed.")
            return
        overview = mfa_overview(user)
        factors = []
        if overview.totp:
            factors.append("authenticator app")
        factors += [f"security key {key.name!r}" for key in overview.security_keys]
        factors += [f"{summary.label} codes" for summary in overview.code_methods.values()]
        if overview.recovery_codes_left is not None:
            factors.append(
                f"recovery codes ({overview.recovery_codes_left}/"
                f"{overview.recovery_codes_total} left)"
            )
        self.stdout.write(f"{user.email}: {', '.join(factors) or 'no second factor'}")
        if overview.required:
            state = (
                "enforced: sign-in leads to enrolment"
                if overview.enforced
                else f"required from {overview.deadline:%Y-%m-%d %H:%M} UTC"
            )
            self.stdout.write(f"MFA policy: {state}")
        else:
            self.stdout.write("MFA policy: not required for this user's roles")
