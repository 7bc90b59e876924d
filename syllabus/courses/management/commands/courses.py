from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from syllabus.accounts.models import User
from syllabus.courses.models import Course
from syllabus.courses.services_enrolment import EnrolmentError, enrolment_remove, member_role_set


class Command(BaseCommand):
    help = "List courses and their members; give or remove a course role (instructor, TA, learner)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{list,members,set-role,remove}"
        )
        sub.add_parser("list", help="every course with its status and number of members")
        members = sub.add_parser("members", help="who holds which role in a course")
        members.add_argument("--course", required=True, help="the course's slug or public id")
        set_role = sub.add_parser("set-role", help="give a person a role in a course")
        set_role.add_argument("--course", required=True)
        set_role.add_argument("--email", required=True)
        set_role.add_argument(
            "--role", required=True, choices=["instructor", "teaching_assistant", "learner"]
        )
        set_role.add_argument(
            "--override-capacity",
            action="store_true",
            help="enrol a learner even when the course is full",
        )
        remove = sub.add_parser("remove", help="remove a person from a course")
        remove.add_argument("--course", required=True)
        remove.add_argument("--email", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(text) from None

    def _list(self, **_: Any) -> None:
        courses = Course.objects.all()
        if not courses:
            self.stdout.write("No courses yet.")
        for course in courses:
            status = course.get_status_display()
            count = course.memberships.count()
            self.stdout.write(f"{course.slug:<40} {course.public_id}  {status:<10} {count} members")

    def _members(self, *, course: str, **_: Any) -> None:
        found = self._course(course)
        for membership in found.memberships.select_related("user", "role").order_by(
            "role__name", "user__email"
        ):
            self.stdout.write(f"{membership.role.name:<20} {membership.user.email}")

    def _set_role(
        self, *, course: str, email: str, role: str, override_capacity: bool, **_: Any
    ) -> None:
        found, user = self._course(course), self._user(email)
        member_role_set(
            actor=None,
            course=found,
            user=user,
            role=role,
            override_capacity=override_capacity,
        )
        self.stdout.write(
            self.style.SUCCESS(f"{user.email} is now {role.replace('_', ' ')} in {found}.")
        )

    def _remove(self, *, course: str, email: str, **_: Any) -> None:
        found, user = self._course(course), self._user(email)
        try:  # the waiting list moves up when a learner leaves
            enrolment_remove(actor=None, course=found, user=user)
        except EnrolmentError as exc:
            if exc.code != "not_enrolled":
                raise
            self.stdout.write(f"{user.email} was not a member of {found}; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{user.email} removed from {found}."))

    @staticmethod
    def _course(key: str) -> Course:
        course = (
            Course.objects.filter(slug=key).first() or Course.objects.filter(public_id=key).first()
        )
        if course is None:
            raise CommandError(
                f"No course with the slug or id {key!r}. See 'syllabus courses list'."
            )
        return course

    @staticmethod
    def _user(email: str) -> User:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account with the email {email!r}.")
        return user
