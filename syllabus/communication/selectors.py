"""Reading notifications: one person's list, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from syllabus.communication.models import Notification


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications, newest first (no joins: one query per page)."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def notification_get(*, user: Any, public_id: str) -> Notification | None:
    return Notification.objects.filter(recipient=user, public_id=public_id).first()
