"""Matrix rows: lessons (learners of the course, and its staff as a preview), progress
(learners only), the dashboard (everyone signed in), the roster (course.view_learners)
and its export (course.view_learners and export.run: administrators by default)."""

from __future__ import annotations

from typing import Any

from syllabus.courses.models import Lesson, Module
from tests.permissions.matrix import SIGNED_IN, Row, only

OPENERS = only("learner", "instructor", "manager", "admin")
LEARNER = only("learner")
ROSTER = only("instructor", "manager", "admin")


def _lesson(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["learning_lesson"]}


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


UI: dict[str, Row] = {
    "learning:dashboard": Row(SIGNED_IN),
    "learning:directory": Row(SIGNED_IN),
    "learning:lesson": Row(OPENERS, kwargs=_lesson),
    "learning:lesson_complete": Row(LEARNER, method="post", kwargs=_lesson, data={}),
    # A text lesson has no media: 404 for those who may open it, 403 for the others.
    "learning:lesson_media": Row(
        OPENERS, kwargs=lambda c: {"public_id": c["learning_lesson"], "field": "file"}
    ),
    "learning:course_home": Row(OPENERS, kwargs=_course),
    "learning:roster": Row(ROSTER, kwargs=_course),
    "learning:roster_export": Row(only("admin"), kwargs=_course),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/me/courses"): Row(SIGNED_IN),
    ("GET", "/api/v1/courses/{public_id}/progress"): Row(LEARNER, kwargs=_course),
    ("POST", "/api/v1/lessons/{public_id}/open"): Row(LEARNER, kwargs=_lesson),
    ("POST", "/api/v1/lessons/{public_id}/complete"): Row(LEARNER, kwargs=_lesson),
    ("POST", "/api/v1/lessons/{public_id}/progress"): Row(
        LEARNER,
        kwargs=lambda c: {"public_id": c["learning_video"]},
        data={"ranges": [[0, 5]], "position": 5, "duration": 60},
    ),
    ("GET", "/api/v1/courses/{public_id}/roster"): Row(ROSTER, kwargs=_course),
    ("GET", "/api/v1/courses/{public_id}/roster.csv"): Row(only("admin"), kwargs=_course),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    module = Module.objects.create(course=course, title="Matrix module", is_published=True)
    lesson = Lesson.objects.create(
        course=course, module=module, title="Matrix lesson", body="Hello", is_published=True
    )
    video = Lesson.objects.create(
        course=course,
        module=module,
        title="Matrix video",
        kind=Lesson.Kind.VIDEO,
        video_url="https://video.example.org/v.mp4",
        position=1,
        is_published=True,
    )
    return {"learning_lesson": lesson.public_id, "learning_video": video.public_id}
