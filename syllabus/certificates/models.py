"""Certificates of completion: one per learner and course, with a public verification code.

A certificate keeps the learner's name and the course's title as they were when it was
issued (a later rename does not change a certificate already printed); the course link is
kept for the staff lists and is cleared if the course is deleted, so the code still
verifies.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core.models import PublicIdField
from syllabus.courses.models import Course


class CertificateSettings(models.Model):
    """A course's certificate rules, edited by its editors (course.edit)."""

    course = models.OneToOneField(
        Course, on_delete=models.CASCADE, related_name="certificate_settings"
    )
    enabled = models.BooleanField(
        default=True, help_text=_("Issue a certificate to each learner who completes the course.")
    )
    validity_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Days a certificate stays valid after completion; empty: it never expires."),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("certificate settings")
        verbose_name_plural = _("certificate settings")

    def __str__(self) -> str:
        return f"Certificate settings of course {self.course_id}"


class Certificate(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", pgettext_lazy("certificate status", "Valid")
        REVOKED = "revoked", pgettext_lazy("certificate status", "Revoked")
        EXPIRED = "expired", pgettext_lazy("certificate status", "Expired")

    public_id = PublicIdField(prefix="crt")
    # XXXX-XXXX-XXXX-XXXX from codes.ALPHABET: 80 random bits, printed on the PDF.
    code = models.CharField(max_length=19, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(
        Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="certificates"
    )
    learner_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    completed_at = models.DateTimeField()
    issued_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when a reissue replaced this certificate (it is revoked at the same moment).
    replaced_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces"
    )
    pdf = models.FileField(upload_to="certificates/", blank=True, max_length=300)

    class Meta:
        ordering = ("-issued_at", "-id")
        constraints = [
            # One current certificate per learner and course: a reissue replaces it.
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(replaced_at__isnull=True),
                name="certificates_one_current_per_course",
            ),
        ]
        indexes = [models.Index(fields=["course", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.code}: {self.learner_name}, {self.course_title}"

    def status_at(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.VALID
