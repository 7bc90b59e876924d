from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from huey.contrib.djhuey.management.commands.run_huey import Command as RunHuey


class Command(RunHuey):
    help = (
        "Run the background job worker: a huey consumer with its scheduler, which also runs "
        "periodic jobs (retention, reminders, backups)."
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
        self.stdout.write(
            f"Syllabus worker started ({options['workers']} {options['worker_type']} workers)."
        )
        super().handle(*args, **options)
