from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = (
        "Run the background job worker: a huey consumer with its scheduler, which also runs "
        "the periodic jobs (such as the daily audit retention purge)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest == "workers":
                action.help = (
                    f"number of worker threads (default SYLLABUS_JOBS_WORKERS, now "
                    f"{settings.JOBS_WORKERS})"
                )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JOBS_IMMEDIATE:
            raise CommandError(
                "SYLLABUS_JOBS_IMMEDIATE is on: jobs run inside the web process, "
                "no worker is needed."
            )
        if options.get("workers") is None:
            options["workers"] = settings.JOBS_WORKERS
        if options.get("worker_type") is None:
            options["worker_type"] = "thread"
        priority = ""
        if settings.JOBS_NICE:
            # Jobs wait for the CPU behind requests: on one machine, 500 certificates made
            # as a class finishes an exam took a core from the submits (bench/RESULTS.md).
            niceness = os.nice(settings.JOBS_NICE)
            priority = f", CPU priority lowered by {settings.JOBS_NICE} (nice {niceness})"
        self.stdout.write(
            f"Syllabus worker started ({options['workers']} {options['worker_type']} "
            f"workers{priority})."
        )
        super().handle(*args, **options)
