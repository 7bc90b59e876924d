from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from syllabus.accounts.models import Role, User
from syllabus.accounts.services import role_grant, user_create, user_set_active
from syllabus.audit.services import record
from syllabus.courses.models import Course
from syllabus.courses.services import course_create, course_role_set

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
# Demo courses and who holds which course role in them. Ines teaches the first course and
# learns in the second: course roles are per course.
DEMO_COURSES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Introduction to Data Protection",
        "What personal data is, and how to look after it at school and at work.",
        (
            ("instructor@example.com", "instructor"),
            ("ta@example.com", "teaching_assistant"),
            ("learner@example.com", "learner"),
        ),
    ),
    (
        "Teaching Online",
        "Designing lessons, quizzes and feedback for learners you rarely meet.",
        (("instructor@example.com", "learner"), ("learner@example.com", "learner")),
    ),
)


class Command(BaseCommand):
    help = (
        "Load demo users of every role and demo courses with course roles. Safe to run again: "
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
        course_roles: dict[str, list[str]] = {}
        for title, _, members in DEMO_COURSES:
            for email, role_slug in members:
                course_roles.setdefault(email, []).append(
                    f"{role_slug.replace('_', ' ')} in {title}"
                )
        for email, name, role, _ in DEMO_USERS:
            label = role.replace("_", " ") if role else "; ".join(course_roles.get(email, []))
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
        for title, summary, members in DEMO_COURSES:
            course = Course.objects.filter(title=title).first()
            if course is None:
                course = course_create(actor=None, title=title, summary=summary)
                course.status = Course.Status.PUBLISHED
                course.save(update_fields=["status", "updated_at"])
            for email, role_slug in members:
                course_role_set(
                    actor=None,
                    course=course,
                    user=User.objects.get(email=email),
                    role=Role.objects.get(slug=role_slug),
                )
        if created:
            record(actor=None, action="demo.loaded", details={"accounts_created": created})
        return created
