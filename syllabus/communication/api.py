"""API: Notifications and preferences (the signed-in person's own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.permissions import acting_user
from syllabus.communication.models import Notification, NotificationPreference
from syllabus.communication.selectors import notification_list
from syllabus.communication.services import (
    MARK_READ_MAX_IDS,
    email_mode_of,
    notifications_mark_all_read,
    notifications_mark_read,
    preference_set,
    unread_count,
)
from syllabus.core.api_schemas import Error

router = Router(tags=["notifications"])

PAGE_SIZE = 50
EmailMode = NotificationPreference.EmailMode


class NotificationOut(Schema):
    id: str = Field(..., description="The notification's public id.")
    kind: str = Field(..., description="What it is about, e.g. announcement.")
    title: str
    body: str = Field(..., description="Plain text.")
    url: str = Field(..., description="Where it leads: a path on this site, or empty.")
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class NotificationQuery(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    page: int = Field(1, ge=1)


class NotificationPage(Schema):
    count: int
    unread: int = Field(..., description="Unread notifications in all (not only this page).")
    page: int
    pages: int
    results: list[NotificationOut]


class MarkReadIn(Schema):
    ids: list[str] = Field(
        default_factory=list,
        max_length=MARK_READ_MAX_IDS,
        description=f"Public ids of your notifications (at most {MARK_READ_MAX_IDS}).",
    )
    all: bool = Field(False, description="Mark every unread notification read instead.")


class MarkReadOut(Schema):
    marked: int = Field(..., description="How many were unread and are now read.")
    unread: int


class PreferenceIO(Schema):
    email_mode: EmailMode = Field(
        ..., description="immediate (default), daily_digest or off: how notifications are emailed."
    )


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 429: Error}


def _out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.public_id,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "is_read": n.read_at is not None,
    }


@router.get(
    "/notifications",
    response={200: NotificationPage, **_ERRORS},
    summary="Your notifications, newest first",
)
def list_notifications(request: HttpRequest, filters: Query[NotificationQuery]) -> Any:
    qs = notification_list(user=request.user, unread_only=filters.unread)
    count = qs.count()
    start = (filters.page - 1) * PAGE_SIZE
    return {
        "count": count,
        "unread": unread_count(acting_user(request).pk),
        "page": filters.page,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "results": [_out(n) for n in qs[start : start + PAGE_SIZE]],
    }


@router.post(
    "/notifications/read",
    response={200: MarkReadOut, 422: Error, **_ERRORS},
    summary="Mark notifications read: some by id, or all",
    description='Send `{"ids": [...]}` or `{"all": true}`. An id that is not one of your '
    "notifications refuses the whole request (422) and marks nothing.",
)
def mark_read(request: HttpRequest, payload: MarkReadIn) -> Any:
    if payload.all == bool(payload.ids):
        return Status(422, {"detail": 'Send either "ids" or "all": true.', "code": "invalid"})
    if payload.all:
        marked = notifications_mark_all_read(user=request.user)
    else:
        marked = notifications_mark_read(user=request.user, public_ids=payload.ids)
    return {"marked": marked, "unread": unread_count(acting_user(request).pk)}


@router.get(
    "/notifications/preferences",
    response={200: PreferenceIO, **_ERRORS},
    summary="How your notifications are emailed",
)
def get_preferences(request: HttpRequest) -> Any:
    return {"email_mode": email_mode_of(request.user)}


@router.put(
    "/notifications/preferences",
    response={200: PreferenceIO, 422: Error, **_ERRORS},
    summary="Choose how your notifications are emailed",
)
def put_preferences(request: HttpRequest, payload: PreferenceIO) -> Any:
    pref = preference_set(user=request.user, email_mode=payload.email_mode)
    return {"email_mode": pref.email_mode}
