"""API: Course announcements (read by the course's members and staff, written by its
instructors, with the same services as the pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.tokens import token_allows
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import course_for as _course
from syllabus.courses.models import Announcement, Course
from syllabus.courses.selectors_announcements import (
    announcement_list,
    announcement_visible,
    can_post_announcements,
    can_read_announcements,
)
from syllabus.courses.services_announcements import (
    BODY_MAX,
    TITLE_MAX,
    announcement_delete,
    announcement_post,
    announcement_update,
)

router = Router(tags=["announcements"])

PAGE_SIZE = 20


class AnnouncementOut(Schema):
    id: str = Field(..., description="The announcement's public id.")
    course_id: str = Field(..., description="The course's public id.")
    title: str
    body: str = Field(..., description="Markdown, as written.")
    body_html: str = Field(..., description="The Markdown rendered to sanitised HTML.")
    author: str = Field(..., description="The author's name (empty if their account is gone).")
    created_at: datetime
    updated_at: datetime


class AnnouncementPage(Schema):
    count: int
    page: int
    pages: int
    results: list[AnnouncementOut]


class AnnouncementIn(Schema):
    title: str = Field(..., min_length=1, max_length=TITLE_MAX)
    body: str = Field(..., min_length=1, max_length=BODY_MAX, description="Markdown.")


class AnnouncementPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(None, min_length=1, max_length=BODY_MAX, description="Markdown.")


class PageQuery(Schema):
    page: int = Field(1, ge=1)


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
_READ_DENIED = _("Announcements are for the course's members and teachers.")


def _out(a: Announcement, course: Course) -> dict[str, Any]:
    return {
        "id": a.public_id,
        "course_id": course.public_id,
        "title": a.title,
        "body": a.body,
        "body_html": a.body_html,
        "author": a.author.get_full_name() if a.author else "",
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def _require_editor(request: HttpRequest, course: Course) -> None:
    if not (token_allows(request, "course.edit") and can_post_announcements(request.user, course)):
        raise PermissionDenied(_("This needs the course.edit permission in this course."))


def _readable(request: HttpRequest, public_id: str) -> Announcement:
    announcement = announcement_visible(user=request.user, public_id=public_id)
    if announcement is None:
        raise Http404
    if not can_read_announcements(request.user, announcement.course):
        raise PermissionDenied(_READ_DENIED)
    return announcement


@router.get(
    "/courses/{public_id}/announcements",
    response={200: AnnouncementPage, **_ERRORS},
    summary="A course's announcements, newest first",
)
def list_announcements(request: HttpRequest, public_id: str, query: Query[PageQuery]) -> Any:
    course = _course(request, public_id)
    if not can_read_announcements(request.user, course):
        raise PermissionDenied(_READ_DENIED)
    qs = announcement_list(course=course)
    count = qs.count()
    start = (query.page - 1) * PAGE_SIZE
    return {
        "count": count,
        "page": query.page,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "results": [_out(a, course) for a in qs[start : start + PAGE_SIZE]],
    }


@router.post(
    "/courses/{public_id}/announcements",
    response={201: AnnouncementOut, 422: Error, **_ERRORS},
    summary="Post an announcement to a course (its learners are notified)",
)
def post_announcement(request: HttpRequest, public_id: str, payload: AnnouncementIn) -> Any:
    course = _course(request, public_id)
    _require_editor(request, course)
    announcement = announcement_post(
        actor=request.user, course=course, title=payload.title, body=payload.body
    )
    return Status(201, _out(announcement, course))


@router.get(
    "/announcements/{public_id}",
    response={200: AnnouncementOut, **_ERRORS},
    summary="One announcement",
)
def get_announcement(request: HttpRequest, public_id: str) -> Any:
    announcement = _readable(request, public_id)
    return _out(announcement, announcement.course)


@router.patch(
    "/announcements/{public_id}",
    response={200: AnnouncementOut, 422: Error, **_ERRORS},
    summary="Change an announcement's title or body (learners are not notified again)",
)
def patch_announcement(request: HttpRequest, public_id: str, payload: AnnouncementPatch) -> Any:
    announcement = _readable_or_editable(request, public_id)
    if payload.title is None and payload.body is None:
        return Status(422, {"detail": _('Send "title", "body" or both.'), "code": "invalid"})
    announcement = announcement_update(
        actor=request.user, announcement=announcement, title=payload.title, body=payload.body
    )
    return _out(announcement, announcement.course)


@router.delete(
    "/announcements/{public_id}",
    response={204: None, **_ERRORS},
    summary="Delete an announcement",
)
def delete_announcement(request: HttpRequest, public_id: str) -> Any:
    announcement = _readable_or_editable(request, public_id)
    announcement_delete(actor=request.user, announcement=announcement)
    return Status(204, None)


def _readable_or_editable(request: HttpRequest, public_id: str) -> Announcement:
    """For writes: 404 when the course is hidden, 403 without ``course.edit``."""
    announcement = announcement_visible(user=request.user, public_id=public_id)
    if announcement is None:
        raise Http404
    _require_editor(request, announcement.course)
    return announcement
