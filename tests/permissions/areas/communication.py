"""Matrix rows: notifications (everyone signed in, their own) and course announcements
(read by the course's members and staff, written by its editors)."""

from __future__ import annotations

from typing import Any

from syllabus.communication.models import Notification
from tests.permissions.matrix import SIGNED_IN, Row

UI: dict[str, Row] = {
    "communication:list": Row(SIGNED_IN),
    "communication:preferences": Row(SIGNED_IN),
    "communication:mark_all_read": Row(SIGNED_IN, method="post", data={}),
    # The world's notification belongs to the learner: the others get 404, never 403.
    "communication:mark_read": Row(
        SIGNED_IN, method="post", kwargs=lambda c: {"public_id": c["notification"]}, data={}
    ),
    "communication:open": Row(SIGNED_IN, kwargs=lambda c: {"public_id": c["notification"]}),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/notifications"): Row(SIGNED_IN),
    ("POST", "/api/v1/notifications/read"): Row(SIGNED_IN, data={"all": True}),
    ("GET", "/api/v1/notifications/preferences"): Row(SIGNED_IN),
    ("PUT", "/api/v1/notifications/preferences"): Row(
        SIGNED_IN, data={"email_mode": "daily_digest"}
    ),
}

ADMIN_PAGES: dict[str, frozenset[str]] = {
    "communication/notification": frozenset({"admin", "security_officer"}),
    "communication/notificationpreference": frozenset({"admin", "security_officer"}),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    learner = base["people"]["learner"]
    notification = Notification.objects.create(
        recipient=learner, kind="announcement", title="Matrix notice", url="/courses/"
    )
    return {"notification": notification.public_id}
