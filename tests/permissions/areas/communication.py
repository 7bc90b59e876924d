"""Matrix rows: notifications (everyone signed in, their own) and course announcements
(read by the course's members and staff, written by its editors)."""

from __future__ import annotations

from typing import Any

from syllabus.communication.models import Notification
from syllabus.courses.models import Announcement
from tests.permissions.matrix import SIGNED_IN, Row, only

# The world course: the learner and the instructor are members; managers follow every
# course (course.view_learners); admins hold everything. Other site roles see the
# published course but not its announcements.
READERS = only("learner", "instructor", "manager", "admin")
EDITORS = only("instructor", "admin")


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


def _announcement(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"], "announcement_id": c["announcement"]}


UI: dict[str, Row] = {
    "communication:list": Row(SIGNED_IN),
    "communication:preferences": Row(SIGNED_IN),
    "communication:mark_all_read": Row(SIGNED_IN, method="post", data={}),
    # The world's notification belongs to the learner: the others get 404, never 403.
    "communication:mark_read": Row(
        SIGNED_IN, method="post", kwargs=lambda c: {"public_id": c["notification"]}, data={}
    ),
    "communication:open": Row(SIGNED_IN, kwargs=lambda c: {"public_id": c["notification"]}),
    "courses:announcements": Row(READERS, kwargs=_course),
    "courses:announcement": Row(READERS, kwargs=_announcement),
    "courses:announcement_new": Row(EDITORS, kwargs=_course),
    "courses:announcement_edit": Row(EDITORS, kwargs=_announcement),
    "courses:announcement_delete": Row(EDITORS, kwargs=_announcement),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/notifications"): Row(SIGNED_IN),
    ("POST", "/api/v1/notifications/read"): Row(SIGNED_IN, data={"all": True}),
    ("GET", "/api/v1/notifications/preferences"): Row(SIGNED_IN),
    ("PUT", "/api/v1/notifications/preferences"): Row(
        SIGNED_IN, data={"email_mode": "daily_digest"}
    ),
    ("GET", "/api/v1/courses/{public_id}/announcements"): Row(READERS, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/announcements"): Row(
        EDITORS, kwargs=_course, data={"title": "Matrix", "body": "Hello."}
    ),
    ("GET", "/api/v1/announcements/{public_id}"): Row(
        READERS, kwargs=lambda c: {"public_id": c["announcement"]}
    ),
    ("PATCH", "/api/v1/announcements/{public_id}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": c["announcement"]}, data={"title": "Changed"}
    ),
    # Each persona deletes a fresh one: the first editor's delete must not turn the
    # later personas' answers into 404s.
    ("DELETE", "/api/v1/announcements/{public_id}"): Row(
        EDITORS, kwargs=lambda c: {"public_id": _new_announcement(c).public_id}
    ),
}

ADMIN_PAGES: dict[str, frozenset[str]] = {
    "communication/notification": frozenset({"admin", "security_officer"}),
    "communication/notificationpreference": frozenset({"admin", "security_officer"}),
}


def _new_announcement(c: dict[str, Any]) -> Announcement:
    return Announcement.objects.create(
        course=c["course_obj"],
        author=c["people"]["instructor"],
        title="Matrix announcement",
        body="Welcome.",
        body_html="<p>Welcome.</p>",
    )


def world(base: dict[str, Any]) -> dict[str, Any]:
    learner = base["people"]["learner"]
    notification = Notification.objects.create(
        recipient=learner, kind="announcement", title="Matrix notice", url="/courses/"
    )
    announcement = _new_announcement(base)
    return {"notification": notification.public_id, "announcement": announcement.public_id}
