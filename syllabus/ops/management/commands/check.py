"""``syllabus check``: Django's system checks; with ``--deploy``, the production
checklist as well (``syllabus.ops.checklist``): each item pass, fail or manual, and a
non-zero exit when any fails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.management.commands.check import Command as DjangoCheck

from syllabus.ops.checklist import FAIL, MANUAL, PASS, run_checklist

MARKS = {PASS: "PASS  ", FAIL: "FAIL  ", MANUAL: "MANUAL"}


class Command(DjangoCheck):
    help = (
        "Check the configuration. With --deploy: the production checklist (TLS, HSTS, "
        "DEBUG, secret and field keys, email and text messages, a verified backup, alerting, "
        "administrator MFA, health, Django's deployment checks), each item pass/fail with "
        "the reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)

    def handle(self, *app_labels: Any, **options: Any) -> None:
        if not options["deploy"]:
            super().handle(*app_labels, **options)
            return
        items = run_checklist()
        width = max(len(item.name) for item in items)
        style = {PASS: self.style.SUCCESS, FAIL: self.style.ERROR, MANUAL: self.style.WARNING}
        for item in items:
            doc = f"  (docs/{item.doc})" if item.doc and item.status != PASS else ""
            self.stdout.write(
                style[item.status](MARKS[item.status])
                + f"  {item.name:<{width}}  {item.reason}{doc}"
            )
        failed = [item for item in items if item.status == FAIL]
        manual = sum(1 for item in items if item.status == MANUAL)
        passed = sum(1 for item in items if item.status == PASS)
        summary = f"{passed} passed, {len(failed)} failed, {manual} to check by hand."
        if failed:
            raise CommandError(f"Production checklist: {summary}")
        self.stdout.write(self.style.SUCCESS(f"Production checklist: {summary}"))
