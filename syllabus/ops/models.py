from __future__ import annotations

from django.conf import settings
from django.db import models

from syllabus.core.models import PublicIdField


class FailedJob(models.Model):
    """A background job that failed on its last retry: the dead-letter record."""

    public_id = PublicIdField(prefix="job")
    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=64, db_index=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    error = models.TextField()
    traceback = models.TextField(blank=True)
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    rerun_at = models.DateTimeField(null=True, blank=True)
    rerun_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rerun_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ("-failed_at",)

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id}) failed at {self.failed_at:%Y-%m-%d %H:%M}"

    @property
    def is_rerun(self) -> bool:
        return self.rerun_at is not None
