from __future__ import annotations

import argparse
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from syllabus.audit.services import record
from syllabus.ops.demo import content
from syllabus.ops.demo import scale as scale_data
from syllabus.ops.demo.content import DEMO_PASSWORD, DEMO_USERS
from syllabus.ops.demo.loader import load_demo, remove_demo

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "Command"]


def _count(text: str, *, least: int, what: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{what} must be at least {least}, not {value}")
    if value > scale_data.MAX_LEARNERS:
        raise argparse.ArgumentTypeError(f"{what} must be at most {scale_data.MAX_LEARNERS:,}")
    return value


def _learners(text: str) -> int:
    return _count(text, least=1, what="--scale (learners)")


def _courses(text: str) -> int:
    return _count(text, least=1, what="--courses")


def _batch(text: str) -> int:
    return _count(text, least=100, what="--batch-size")


class Command(BaseCommand):
    help = (
        "Load demo data: users of every role, 3 categories and 12 published courses with "
        "text, video and file lessons, enrolments, progress, cohorts and announcements. "
        "Safe to run again: nothing is duplicated and existing passwords are left alone. "
        "With --scale N, also generate N load-test learners with enrolments and progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--remove",
            action="store_true",
            help="delete the demo courses and any scale data, and deactivate the demo accounts",
        )
        parser.add_argument(
            "--scale",
            type=_learners,
            metavar="N",
            help=(
                "also make sure N load-test learners exist "
                f"(learner000000@{scale_data.DOMAIN} ...), each enrolled in 1-5 courses "
                "with progress; they all share the demo password. Running again adds only "
                "missing learners"
            ),
        )
        parser.add_argument(
            "--courses",
            type=_courses,
            metavar="M",
            help="with --scale: spread learners over M courses (generated ones are added when "
            "M is more than the 12 demo courses); default: the demo courses",
        )
        parser.add_argument(
            "--batch-size",
            type=_batch,
            default=scale_data.DEFAULT_BATCH,
            metavar="B",
            help="with --scale: learners written per transaction "
            f"(default {scale_data.DEFAULT_BATCH})",
        )

    def handle(
        self,
        *args: Any,
        remove: bool,
        scale: int | None,
        courses: int | None,
        batch_size: int,
        **options: Any,
    ) -> None:
        if courses is not None and scale is None:
            raise CommandError("--courses only applies with --scale N.", returncode=2)
        if remove:
            self._remove()
            return
        report = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({report.accounts_created} new accounts, "
                f"{report.courses_created} new courses)."
            )
            + "\n\nDemo logins "
            f"(password for all: {DEMO_PASSWORD}):"
        )
        for email, name, role, _ in DEMO_USERS:
            self.stdout.write(f"  {email:<26} {name:<22} {self._label(email, role)}")
        self.stdout.write(
            f"  and {len(content.DEMO_PEOPLE)} more people (instructors and learners), such as "
            f"{content.DEMO_PEOPLE[0][0]}"
        )
        for slug in report.skipped:
            self.stderr.write(f"Skipped demo course {slug!r}: a course of yours has that slug.")
        # Outside the loading transaction: a backup copies committed data.
        from syllabus.backups.demo import load_demo as first_backup

        self.stdout.write("\n" + first_backup())
        if scale is not None:
            self._scale(scale, courses, batch_size)
        self.stdout.write(
            "\nThese accounts have a published password: "
            "run 'syllabus demo --remove' before real use."
        )

    @staticmethod
    def _label(email: str, role: str | None) -> str:
        if role:
            return role.replace("_", " ")
        counts = {
            "instructor": sum(c.instructor == email for c in content.COURSES),
            "teaching assistant": sum(c.teaching_assistant == email for c in content.COURSES),
            "learner": sum(email in dict(c.learners) for c in content.COURSES),
        }
        return ", ".join(
            f"{name} in {n} course{'s' if n > 1 else ''}" for name, n in counts.items() if n
        )

    def _scale(self, learners: int, courses: int | None, batch_size: int) -> None:
        console = Console(file=cast("IO[str]", self.stdout), force_terminal=self.stdout.isatty())
        with Progress(
            TextColumn("Generating learners"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not self.stdout.isatty(),
        ) as progress:
            task = progress.add_task("learners", total=None)
            report = scale_data.generate(
                learners,
                courses=courses,
                batch_size=batch_size,
                on_start=lambda total: progress.update(task, total=total),
                on_batch=lambda done: progress.advance(task, done),
            )
        rate = report.rows / report.seconds if report.seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"\nScale data: {report.learners_created:,} learners created "
                f"({report.learners_existing:,} already there) in {report.seconds:.1f} s."
            )
        )
        self.stdout.write(
            f"  courses used        {report.courses_used:>12,}"
            + (f" ({report.courses_created:,} generated)" if report.courses_created else "")
            + f"\n  enrolments          {report.enrolments:>12,}"
            f"\n  lesson progress     {report.lesson_progress:>12,}"
            f"\n  course progress     {report.course_progress:>12,}"
            f"\n  rows written        {report.rows:>12,}  ({rate:,.0f} rows/s)"
            f"\n  Scale learners sign in as learner000000@{scale_data.DOMAIN} ... with the demo "
            "password. They have no history rows (bulk inserts)."
        )

    def _remove(self) -> None:
        removed = scale_data.remove()
        demo = remove_demo()
        if removed.learners or removed.courses:
            with transaction.atomic():
                record(
                    actor=None,
                    action="demo.removed",
                    details={
                        "scale_learners": removed.learners,
                        "scale_courses": removed.courses,
                        **removed.rows,
                    },
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Deactivated {demo.accounts_deactivated} demo accounts, deleted "
                f"{demo.courses_deleted} demo courses, {removed.learners:,} scale learners "
                f"and {removed.courses:,} generated courses."
            )
        )
