from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from syllabus.ops.models import FailedJob
from syllabus.ops.services import failed_job_rerun


@admin.register(FailedJob)
class FailedJobAdmin(admin.ModelAdmin):
    list_display = ("task_name", "failed_at", "error_summary", "rerun_at")
    list_filter = ("task_name",)
    search_fields = ("task_name", "task_id", "error")
    actions = ("rerun",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in FailedJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="error")
    def error_summary(self, obj: FailedJob) -> str:
        return obj.error.splitlines()[0][:120] if obj.error else ""

    @admin.action(description="Re-run the selected jobs")
    def rerun(self, request: HttpRequest, queryset: QuerySet[FailedJob]) -> None:
        done = 0
        for failed_job in queryset:
            try:
                failed_job_rerun(actor=request.user, failed_job=failed_job)
                done += 1
            except ValidationError as exc:
                self.message_user(
                    request, f"{failed_job}: {' '.join(exc.messages)}", messages.ERROR
                )
        if done:
            self.message_user(request, f"Re-queued {done} job(s).", messages.SUCCESS)
