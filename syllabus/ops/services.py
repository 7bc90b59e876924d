from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.audit.services import record
from syllabus.core.jobs import huey
from syllabus.ops.models import FailedJob


def _json_or_repr(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return {"__unserializable__": repr(value)}


def failed_job_record(*, task: Any, error: BaseException, traceback_text: str) -> FailedJob:
    """Keep a job that used all its retries, with what is needed to run it again."""
    return FailedJob.objects.create(
        task_name=huey()._registry.task_to_string(type(task)),
        task_id=task.id,
        args=_json_or_repr(list(task.args or ())),
        kwargs=_json_or_repr(dict(task.kwargs or {})),
        error=f"{type(error).__name__}: {error}"[:2000],
        traceback=traceback_text[-20000:],
    )


@transaction.atomic
def failed_job_rerun(*, actor: Any, failed_job: FailedJob) -> str:
    """Enqueue the job again with its original arguments; audited. Returns the new task id."""
    failed_job = FailedJob.objects.select_for_update().get(pk=failed_job.pk)
    if failed_job.is_rerun:
        raise ValidationError(
            _("This job was already re-run at %(when)s.")
            % {"when": f"{failed_job.rerun_at:%Y-%m-%d %H:%M}"}
        )
    if isinstance(failed_job.args, dict) or isinstance(
        failed_job.kwargs.get("__unserializable__"), str
    ):
        raise ValidationError(
            _("This job's arguments could not be stored, so it cannot be re-run.")
        )
    queue = huey()
    try:
        task_class = queue._registry.string_to_task(failed_job.task_name)
    except Exception:
        raise ValidationError(
            _("No task named %(task)s exists any more; it cannot be re-run.")
            % {"task": repr(failed_job.task_name)}
        ) from None
    task = task_class(args=tuple(failed_job.args), kwargs=failed_job.kwargs)
    failed_job.rerun_at = timezone.now()
    failed_job.rerun_by = actor
    failed_job.rerun_task_id = task.id
    failed_job.save(update_fields=["rerun_at", "rerun_by", "rerun_task_id"])
    record(
        actor=actor,
        action="job.rerun",
        target=failed_job,
        details={"task": failed_job.task_name, "new_task_id": task.id},
    )
    transaction.on_commit(lambda: queue.enqueue(task))
    return str(task.id)
