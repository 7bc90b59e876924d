"""Course announcements: post, edit, delete. Each write, its audit event, the learners'
notifications and forgetting the cached panel happen in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from syllabus.audit.services import record
from syllabus.communication.services import notifications_withdraw, notify
from syllabus.core.markdown import markdown_plain_text, render_markdown
from syllabus.courses.cache import VERSION
from syllabus.courses.models import Announcement, Course, CourseMembership
from syllabus.courses.selectors_announcements import (
    active_membership_q,
    can_post_announcements,
    panel_key,
)

KIND = "announcement"
TITLE_MAX = 200
BODY_MAX = 20_000
NOTIFICATION_BODY_MAX = 500
LEARNER = "learner"


def announcement_url(announcement: Announcement) -> str:
    return reverse(
        "courses:announcement",
        kwargs={
            "public_id": announcement.course.public_id,
            "announcement_id": announcement.public_id,
        },
    )


def _clean(title: str, body: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the announcement a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("A title is at most %(max)s characters (this one has %(length)s).") % {
            "max": TITLE_MAX,
            "length": len(title),
        }
    if not body:
        errors["body"] = _("Write the announcement.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("An announcement is at most %(max)s characters.") % {
            "max": number_format(BODY_MAX, force_grouping=True)
        }
    if errors:
        raise ValidationError(errors)
    return title, body


def _require_editor(actor: Any, course: Course) -> None:
    if not can_post_announcements(actor, course):
        raise PermissionDenied(_("Only the course's instructors can post announcements."))


def _forget_panel(course_id: int) -> None:
    cache.delete(panel_key(course_id), version=VERSION)
    transaction.on_commit(lambda: cache.delete(panel_key(course_id), version=VERSION))


def learner_ids(course: Course, *, exclude: Any = None) -> list[int]:
    """Active learners of the course (access not ended, account active)."""
    qs = (
        CourseMembership.objects.filter(course=course, role__slug=LEARNER, user__is_active=True)
        .filter(active_membership_q(timezone.now()))
        .order_by("user_id")
    )
    if exclude is not None:
        qs = qs.exclude(user_id=exclude.pk)
    return list(qs.values_list("user_id", flat=True))


def _notify_learners(actor: Any, announcement: Announcement) -> int:
    course = announcement.course
    text = markdown_plain_text(announcement.body)
    if len(text) > NOTIFICATION_BODY_MAX:
        text = text[: NOTIFICATION_BODY_MAX - 1].rsplit(" ", 1)[0] + "…"
    title = f"{course.title}: {announcement.title}"
    return notify(
        learner_ids(course, exclude=actor),
        kind=KIND,
        title=title,
        body=text,
        url=announcement_url(announcement),
    )


@transaction.atomic
def announcement_post(*, actor: Any, course: Course, title: str, body: str) -> Announcement:
    """Post an announcement; the course's learners are notified (in the app, and by email
    as each prefers)."""
    _require_editor(actor, course)
    title, body = _clean(title, body)
    announcement = Announcement.objects.create(
        course=course, author=actor, title=title, body=body, body_html=render_markdown(body)
    )
    notified = _notify_learners(actor, announcement)
    record(
        actor=actor,
        action="announcement.posted",
        target=announcement,
        details={"course": course.public_id, "title": title, "notified": notified},
    )
    _forget_panel(course.pk)
    return announcement


@transaction.atomic
def announcement_update(
    *, actor: Any, announcement: Announcement, title: str | None = None, body: str | None = None
) -> Announcement:
    """Change the title and/or body. Learners are not notified again."""
    _require_editor(actor, announcement.course)
    new_title, new_body = _clean(
        announcement.title if title is None else title,
        announcement.body if body is None else body,
    )
    changed = [
        field
        for field, old, new in (
            ("title", announcement.title, new_title),
            ("body", announcement.body, new_body),
        )
        if old != new
    ]
    if not changed:
        return announcement
    announcement.title, announcement.body = new_title, new_body
    announcement.body_html = render_markdown(new_body)
    announcement.save(update_fields=["title", "body", "body_html", "updated_at"])
    record(
        actor=actor,
        action="announcement.updated",
        target=announcement,
        details={"course": announcement.course.public_id, "changed": changed},
    )
    _forget_panel(announcement.course_id)
    return announcement


@transaction.atomic
def announcement_delete(*, actor: Any, announcement: Announcement) -> None:
    """Delete it; unread notifications that lead to it go too (read ones stay, as history)."""
    course = announcement.course
    _require_editor(actor, course)
    url = announcement_url(announcement)
    record(
        actor=actor,
        action="announcement.deleted",
        target=announcement,
        details={"course": course.public_id, "title": announcement.title},
    )
    announcement.delete()
    notifications_withdraw(kind=KIND, url=url)
    _forget_panel(course.pk)
