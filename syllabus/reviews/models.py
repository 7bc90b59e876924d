"""Quarterly access reviews (seed 6.3).

A campaign snapshots every role assignment that grants permissions: site roles and
course roles other than plain learner (a learner role grants no permission). Each
snapshot row (``ReviewItem``) keeps who held what, when it was granted, whether the role
is privileged and whether the holder looks like a leaver (deactivated, or no sign-in for
``SYLLABUS_ACCESS_REVIEW_INACTIVE_DAYS``), and is assigned to a reviewer: the holder's
manager (``ReportingLine``) or the campaign's chosen reviewer. Reviewers keep or revoke
with a comment; revocations are applied through the role services (audited); a
compliance officer signs the campaign off, which archives it as a CSV and a PDF report.

The snapshot copies names and titles so the archived campaign still reads correctly
after people or courses are gone.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import PublicIdField, TimeStampedModel


class ReportingLine(TimeStampedModel):
    """Who manages whom, for routing review items to the holder's manager."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reporting_line"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )

    def __str__(self) -> str:
        return f"{self.user_id} reports to {self.manager_id}"


class Campaign(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("In review")
        SIGNED_OFF = "signed_off", _("Signed off")

    public_id = PublicIdField(prefix="arc")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    default_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField()
    inactive_days = models.PositiveIntegerField()
    # The quarter it covers, e.g. "2026-Q4": the schedule starts one campaign per quarter.
    quarter = models.CharField(max_length=7, db_index=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    sign_off_comment = models.TextField(blank=True)
    report_csv = models.FileField(upload_to="access-reviews/", blank=True, max_length=300)
    report_pdf = models.FileField(upload_to="access-reviews/", blank=True, max_length=300)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


# The leaver reasons the snapshot stores (see services._leaver_reason).
LEAVER_DEACTIVATED = "deactivated"
LEAVER_INACTIVE = re.compile(r"no sign-in for (?P<days>\d+) days")


class ReviewItem(models.Model):
    class Kind(models.TextChoices):
        SITE = "site", _("Site role")
        COURSE = "course", _("Course role")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not reviewed")
        KEEP = "keep", _("Keep")
        REVOKE = "revoke", _("Revoke")

    public_id = PublicIdField(prefix="ari")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=6, choices=Kind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    holder_email = models.CharField(max_length=254)
    holder_name = models.CharField(max_length=200, blank=True)
    role_slug = models.CharField(max_length=64)
    role_name = models.CharField(max_length=100)
    permissions = models.JSONField(default=list)
    course_id_snapshot = models.PositiveBigIntegerField(null=True, blank=True)
    course_public_id = models.CharField(max_length=32, blank=True)
    course_title = models.CharField(max_length=200, blank=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    last_login = models.DateTimeField(null=True, blank=True)
    privileged = models.BooleanField(default=False)
    leaver_reason = models.CharField(max_length=100, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Revocations: when the role was removed, or why it could not be (last administrator...).
    applied_at = models.DateTimeField(null=True, blank=True)
    apply_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["campaign", "-privileged", "holder_email", "role_slug", "pk"]
        indexes = [
            models.Index(fields=["campaign", "decision"]),
            models.Index(fields=["reviewer", "decision"]),
        ]

    def __str__(self) -> str:
        where = f" in {self.course_title}" if self.course_title else ""
        return f"{self.holder_email}: {self.role_name}{where}"

    @property
    def is_leaver(self) -> bool:
        return bool(self.leaver_reason)

    @property
    def leaver_label(self) -> str:
        """The leaver reason in the reader's language: the snapshot keeps it in English
        (it is data, in the CSV report too), so the page translates the known forms."""
        if self.leaver_reason == LEAVER_DEACTIVATED:
            return gettext("deactivated")
        if match := LEAVER_INACTIVE.fullmatch(self.leaver_reason):
            return gettext("no sign-in for %(days)s days") % {"days": match["days"]}
        return self.leaver_reason
