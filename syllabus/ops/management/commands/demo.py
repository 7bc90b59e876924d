from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from syllabus.accounts.models import Role, User
from syllabus.accounts.services import role_grant, user_create, user_set_active
from syllabus.audit.services import record

# A published password: demo accounts are for trying Syllabus out, never for real data.
DEMO_PASSWORD = "Learn-with-Syllabus-2026"  # noqa: S105

DEMO_USERS: tuple[tuple[str, str, str | None, bool], ...] = (
    # email, full name, site role, superuser
    ("admin@example.com", "Ada Admin", "admin", True),
    ("manager@example.com", "Manon Manager", "manager", False),
    ("auditor@example.com", "Aurelio Auditor", "auditor", False),
    ("compliance@example.com", "Constance Compliance", "compliance_officer", False),
    ("security@example.com", "Sekou Security", "security_officer", False),
    ("instructor@example.com", "Ines Instructor", None, False),
    ("ta@example.com", "Tariq Assistant", None, False),
    ("learner@example.com", "Lena Learner", None, False),
)
COURSE_ROLES = {
    "instructor@example.com": "instructor",
    "ta@example.com": "teaching assistant",
    "learner@example.com": "learner",
}


class Command(BaseCommand):
    help = (
        "Load demo users of every role (and, as they exist, demo courses). Safe to run again: "
        "nothing is duplicated and existing passwords are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--remove", action="store_true", help="deactivate the demo accounts instead"
        )

    def handle(self, *args: Any, remove: bool, **options: Any) -> None:
        if remove:
            count = self._deactivate()
            self.stdout.write(self.style.SUCCESS(f"Deactivated {count} demo accounts."))
            return
        created = self._load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created} new accounts).") + "\n\nDemo logins "
            f"(password for all: {DEMO_PASSWORD}):"
        )
        for email, name, role, _ in DEMO_USERS:
            label = role or f"{COURSE_ROLES[email]} (course role)"
            self.stdout.write(f"  {email:<26} {name:<22} {label}")
        self.stdout.write(
            "\nThese accounts have a published password: "
            "run 'syllabus demo --remove' before real use."
        )

    @transaction.atomic
    def _deactivate(self) -> int:
        demo_users = User.objects.filter(email__in=[u[0] for u in DEMO_USERS], is_active=True)
        count = 0
        for user in demo_users:
            user_set_active(actor=None, user=user, active=False)
            count += 1
        return count

    @transaction.atomic
    def _load(self) -> int:
        created = 0
        for email, name, role_slug, superuser in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is not None and not user.is_active:
                user_set_active(actor=None, user=user, active=True)
            if user is None:
                user = user_create(
                    actor=None,
                    email=email,
                    password=DEMO_PASSWORD,
                    full_name=name,
                    is_superuser=superuser,
                )
                created += 1
            if role_slug:
                role_grant(actor=None, user=user, role=Role.objects.get(slug=role_slug))
        if created:
            record(actor=None, action="demo.loaded", details={"accounts_created": created})
        return created
