from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from syllabus.accounts.models import Role, User
from syllabus.accounts.roles import PERMISSIONS
from syllabus.accounts.services import role_create, role_grant, role_revoke


class Command(BaseCommand):
    help = "List roles and permissions, grant or remove a site role, create a custom role."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{list,grant,revoke,create}"
        )
        sub.add_parser("list", help="roles with their permissions and number of holders")
        for name, text in (("grant", "give a user a site role"), ("revoke", "remove a site role")):
            command = sub.add_parser(name, help=text)
            command.add_argument("--email", required=True)
            command.add_argument("--role", required=True, help="role slug, e.g. auditor")
        create = sub.add_parser("create", help="create a custom site role")
        create.add_argument("--name", required=True)
        create.add_argument("--description", default="")
        create.add_argument(
            "--permission",
            action="append",
            required=True,
            choices=sorted(PERMISSIONS),
            metavar="CODE",
            help="a permission code (repeat for several); see 'syllabus roles list'",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from None

    def _list(self, **_: Any) -> None:
        for role in Role.objects.annotate(holders=Count("assignments")):
            kind = "built-in" if role.is_builtin else "custom"
            holders = f"{role.holders} holders" if role.scope == "site" else "per course"
            self.stdout.write(f"{role.slug:<22} {role.get_scope_display():<16} {kind:<9} {holders}")
            self.stdout.write(f"    {', '.join(role.permissions) or '(no permissions)'}")

    def _grant(self, *, email: str, role: str, **_: Any) -> None:
        user, role_obj = self._user(email), self._role(role)
        role_grant(actor=None, user=user, role=role_obj)
        self.stdout.write(self.style.SUCCESS(f"{user.email} now holds {role_obj.name}."))

    def _revoke(self, *, email: str, role: str, **_: Any) -> None:
        user, role_obj = self._user(email), self._role(role)
        if role_revoke(actor=None, user=user, role=role_obj):
            self.stdout.write(self.style.SUCCESS(f"{user.email} no longer holds {role_obj.name}."))
        else:
            self.stdout.write(f"{user.email} did not hold {role_obj.name}; nothing changed.")

    def _create(self, *, name: str, description: str, permission: list[str], **_: Any) -> None:
        role = role_create(actor=None, name=name, description=description, permissions=permission)
        self.stdout.write(self.style.SUCCESS(f"Created role {role.slug}."))

    @staticmethod
    def _user(email: str) -> User:
        try:
            return User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            raise CommandError(f"No account with the email {email!r}.") from None

    @staticmethod
    def _role(slug: str) -> Role:
        try:
            return Role.objects.get(slug=slug)
        except Role.DoesNotExist:
            known = ", ".join(Role.objects.values_list("slug", flat=True))
            raise CommandError(f"No role {slug!r}. Known roles: {known}.") from None
