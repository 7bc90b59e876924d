"""Notifications in the app, and how each person wants them emailed.

A notification is a short plain-text message to one person (title, body, a link); higher
apps create them through ``services.notify``. Kinds are free text (``announcement``,
``enrolment``...) so a new kind needs no migration.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from syllabus.core.models import PublicIdField


class Notification(models.Model):
    public_id = PublicIdField(prefix="ntf")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text=_("Plain text."))
    url = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Where the notification leads: a path on this site."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was emailed (alone or in a digest).")
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="comm_notif_recipient_new"),
            # The header badge counts these on every page (when not cached).
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="comm_notif_unread"
            ),
            # What the email jobs and the daily digest look for.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at__isnull=True),
                name="comm_notif_unemailed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """One person's email choice; people without a row get immediate emails."""

    class EmailMode(models.TextChoices):
        IMMEDIATE = "immediate", _("Email me each notification as it happens")
        DAILY_DIGEST = "daily_digest", _("Email me one summary a day")
        OFF = "off", _("Do not email me; I will read them here")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_mode = models.CharField(
        max_length=12, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_email_mode_display()}"
