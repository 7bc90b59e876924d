"""Privacy: versioned policies and consent, data subject requests, retention runs.

See docs/privacy.md for the procedures these records support.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.models import PublicIdField, TimeStampedModel

RESPONSE_DAYS = 30  # GDPR Art. 12(3): one month to answer a data subject request


class PolicyDocument(models.Model):
    """One published version of the privacy policy or the terms of use.

    Versions are only ever added: the current one of each kind is the latest published.
    """

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms of use")

    public_id = PublicIdField(prefix="pol")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Markdown."))
    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("kind", "-version")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="privacy_one_version"),
        ]

    def __str__(self) -> str:
        return str(_("%(kind)s v%(version)s")) % {
            "kind": self.get_kind_display(),
            "version": self.version,
        }


class Consent(models.Model):
    """A person accepted one version of a policy document."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_consents"
    )
    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="consents")
    accepted_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-accepted_at",)
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="privacy_consent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.document}"


def _due() -> datetime:
    return timezone.now() + timedelta(days=RESPONSE_DAYS)


class DataRequest(TimeStampedModel):
    """A data subject request: an export of everything (access) or erasure."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Export of my data")
        ERASURE = "erasure", _("Erasure of my data")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        PROCESSING = "processing", _("Being prepared")
        READY = "ready", _("Ready to download")
        EXPIRED = "expired", _("Download expired")
        APPROVED = "approved", _("Approved, being erased")
        COMPLETED = "completed", pgettext_lazy("data request status", "Completed")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    OPEN = (Status.PENDING, Status.PROCESSING, Status.APPROVED)

    public_id = PublicIdField(prefix="dsr")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # No database constraint: the record outlives the erasure of the person it concerns
    # (the account row stays as a pseudonymous tombstone).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=1000, blank=True, help_text=_("Why it was asked for."))
    due_at = models.DateTimeField(default=_due, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    export_file = models.CharField(max_length=300, blank=True)
    export_sha256 = models.CharField(max_length=64, blank=True)
    export_size = models.PositiveBigIntegerField(null=True, blank=True)
    export_expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["pending", "processing", "approved"]),
                name="privacy_request_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.subject_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def can_download(self) -> bool:
        return (
            self.status == self.Status.READY
            and bool(self.export_file)
            and self.export_expires_at is not None
            and self.export_expires_at > timezone.now()
        )


class ErasureRecord(models.Model):
    """An account whose personal data was erased; the account row stays as a tombstone
    (no name, address or phone) so records kept by law still point somewhere."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_record"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=20)  # "request" or "retention"
    request = models.ForeignKey(DataRequest, on_delete=models.SET_NULL, null=True, blank=True)
    summary = models.JSONField(default=dict)  # rows deleted / anonymised / kept per model

    class Meta:
        ordering = ("-erased_at",)

    def __str__(self) -> str:
        return f"{self.user_id} erased ({self.reason})"


class AnonymisedCourseStat(models.Model):
    """What is left of learners' progress in a course once it is anonymised: counts only."""

    course = models.OneToOneField(
        "courses.Course", on_delete=models.CASCADE, related_name="anonymised_stat"
    )
    learners = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    percent_total = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.course_id}: {self.learners} anonymised learners"


class RetentionRun(models.Model):
    """One application of the retention policy: what each category did, and how far it got.

    ``now`` is fixed when the run starts, so a resumed run uses the same cut-off dates;
    ``checkpoint`` records per category the last primary key done and whether it finished.
    """

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("retention run status", "Running")
        COMPLETED = "completed", pgettext_lazy("retention run status", "Completed")
        FAILED = "failed", _("Interrupted")

    public_id = PublicIdField(prefix="ret")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    now = models.DateTimeField(help_text=_("The reference time of the cut-off dates."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    checkpoint = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    archive_dir = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=1)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-started_at", "-pk")

    def __str__(self) -> str:
        return f"Retention run {self.public_id} ({self.status})"
