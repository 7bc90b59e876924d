"""One row per backup, verification, restore or prune: what the admin page lists and the
health check reads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import PublicIdField


class BackupRun(models.Model):
    class Kind(models.TextChoices):
        BACKUP = "backup", _("Backup")
        VERIFY = "verify", _("Verification")
        RESTORE = "restore", _("Restore")
        PRUNE = "prune", _("Prune")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Daily schedule")
        MANUAL = "manual", _("Admin page or API")
        CLI = "cli", _("Command line")

    class Verification(models.TextChoices):
        NONE = "", _("Not verified")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    public_id = PublicIdField(prefix="bkr")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archive = models.CharField(max_length=100, blank=True, db_index=True)
    location = models.CharField(max_length=300, blank=True)
    db_vendor = models.CharField(max_length=20, blank=True)
    key_id = models.CharField(max_length=32, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text=_("Of the archive file."))
    tables = models.PositiveIntegerField(null=True, blank=True)
    rows = models.BigIntegerField(null=True, blank=True)
    files = models.PositiveIntegerField(null=True, blank=True)
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.NONE, blank=True
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status", "-started_at"], name="backuprun_kind_status")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.archive or self.public_id} ({self.status})"
