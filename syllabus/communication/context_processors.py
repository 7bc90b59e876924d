"""The unread-notification count for the header badge, computed only if a page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from syllabus.communication.services import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    user_id = user.pk
    # Lazy: a page that never shows the badge costs nothing; one that does costs one
    # cache read (or one COUNT on a partial index when the cache is cold).
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user_id))}
