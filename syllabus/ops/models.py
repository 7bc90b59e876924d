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


class RequestMinute(models.Model):
    """Requests answered in one minute, summed over every process (ops dashboard, alerts).

    Each process counts in memory and adds its counts here once a minute
    (``syllabus.core.metrics.minutes``); rows older than SYLLABUS_METRICS_KEEP_DAYS are
    pruned by a daily job. ``le_*`` hold the requests that took at most that many
    milliseconds (and more than the previous bound); slower ones are the remainder.
    """

    minute = models.DateTimeField(unique=True)
    requests = models.PositiveIntegerField(default=0)
    errors_4xx = models.PositiveIntegerField(default=0)
    errors_5xx = models.PositiveIntegerField(default=0)
    duration_ms_sum = models.FloatField(default=0.0)
    le_50 = models.PositiveIntegerField(default=0)
    le_100 = models.PositiveIntegerField(default=0)
    le_250 = models.PositiveIntegerField(default=0)
    le_500 = models.PositiveIntegerField(default=0)
    le_1000 = models.PositiveIntegerField(default=0)
    le_2000 = models.PositiveIntegerField(default=0)
    le_5000 = models.PositiveIntegerField(default=0)
    signin_failures = models.PositiveIntegerField(default=0)

    BUCKET_FIELDS = ("le_50", "le_100", "le_250", "le_500", "le_1000", "le_2000", "le_5000")

    class Meta:
        ordering = ("minute",)

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}: {self.requests} requests"


class HealthSample(models.Model):
    """The health report taken by the worker once a minute (uptime, alerts)."""

    minute = models.DateTimeField(unique=True)
    healthy = models.BooleanField()
    services = models.JSONField(default=dict)  # {"database": "ok", "cache": "error", ...}
    db_connections_ratio = models.FloatField(null=True, blank=True)
    disk_free_ratio = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ("minute",)

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M}: {'healthy' if self.healthy else 'unhealthy'}"


class AlertState(models.Model):
    """One alert of the built-in evaluator: firing or not, and when admins were told."""

    name = models.CharField(max_length=64, unique=True)
    firing = models.BooleanField(default=False)
    since = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    value = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name}: {'firing' if self.firing else 'ok'}"


class JobRun(models.Model):
    """A job a worker has started and not finished: re-run if its worker died.

    Huey removes a job from the queue when a worker takes it, so a worker killed in the
    middle would lose it; this ledger row survives the worker and the next worker to
    start on the host enqueues the job again (jobs are idempotent).
    """

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("started_at",)

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id}) on {self.host}:{self.pid}"
