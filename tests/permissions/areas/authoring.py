"""Matrix rows of the authoring area: the Teach pages and the authoring API.

Editing needs ``course.edit`` in the course: the world course's instructor and
administrators. Creating a course needs the ``course.create`` site permission
(administrators). Rows that change or delete something get a fresh object on every call
(the matrix calls each row once per persona, in order), so an earlier persona's success
never turns a later persona's refusal into a 404.
"""

from __future__ import annotations

from typing import Any

from syllabus.accounts.models import Role
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from tests.permissions.matrix import Row, only

EDITORS = only("instructor", "admin")
CREATORS = only("admin")


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    module = Module.objects.create(course=course, title="Authoring module", position=0)
    lesson = Lesson.objects.create(
        course=course, module=module, title="Authoring lesson", body="Hi", position=0
    )
    return {"authoring_module": module.public_id, "authoring_lesson": lesson.public_id}


def fresh_course(context: dict[str, Any]) -> str:
    """A published course taught by the instructor persona, for one call."""
    n = Course.objects.count()
    course = Course.objects.create(
        title=f"Matrix fresh {n}", slug=f"matrix-fresh-{n}", status=Course.Status.PUBLISHED
    )
    CourseMembership.objects.create(
        course=course,
        user=context["people"]["instructor"],
        role=Role.objects.get(slug="instructor"),
    )
    return course.public_id


def fresh_module(context: dict[str, Any]) -> str:
    course = context["course_obj"]
    return Module.objects.create(
        course=course, title="Fresh module", position=course.modules.count()
    ).public_id


def fresh_lesson(context: dict[str, Any]) -> str:
    module = Module.objects.get(public_id=context["authoring_module"])
    return Lesson.objects.create(
        course=module.course,
        module=module,
        title="Fresh lesson",
        body="x",
        position=module.lessons.count(),
    ).public_id


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


def _fresh(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": fresh_course(c)}


def _module(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["authoring_module"]}


def _fresh_module(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": fresh_module(c)}


def _lesson(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["authoring_lesson"]}


def _fresh_lesson(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": fresh_lesson(c)}


def _media(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["authoring_lesson"], "field": "file"}


V1 = "/api/v1"

API: dict[tuple[str, str], Row] = {
    ("POST", f"{V1}/courses"): Row(CREATORS, data={"title": "Matrix created"}),
    ("GET", f"{V1}/courses/{{public_id}}"): Row(EDITORS, kwargs=_course),
    ("PATCH", f"{V1}/courses/{{public_id}}"): Row(EDITORS, kwargs=_course, data={}),
    ("DELETE", f"{V1}/courses/{{public_id}}"): Row(EDITORS, kwargs=_fresh),
    ("POST", f"{V1}/courses/{{public_id}}/publish"): Row(EDITORS, kwargs=_fresh),
    ("POST", f"{V1}/courses/{{public_id}}/unpublish"): Row(EDITORS, kwargs=_fresh),
    ("POST", f"{V1}/courses/{{public_id}}/archive"): Row(EDITORS, kwargs=_fresh),
    ("POST", f"{V1}/courses/{{public_id}}/copy"): Row(EDITORS, kwargs=_fresh, data={}),
    ("PUT", f"{V1}/courses/{{public_id}}/image"): Row(EDITORS, kwargs=_course),
    ("DELETE", f"{V1}/courses/{{public_id}}/image"): Row(EDITORS, kwargs=_course),
    ("GET", f"{V1}/courses/{{public_id}}/modules"): Row(EDITORS, kwargs=_course),
    ("PUT", f"{V1}/courses/{{public_id}}/modules/order"): Row(
        EDITORS, kwargs=_course, data={"order": []}
    ),
    ("PUT", f"{V1}/modules/{{public_id}}/lessons/order"): Row(
        EDITORS, kwargs=_module, data={"order": []}
    ),
    ("POST", f"{V1}/courses/{{public_id}}/modules"): Row(
        EDITORS, kwargs=_course, data={"title": "Matrix module"}
    ),
    ("PATCH", f"{V1}/modules/{{public_id}}"): Row(
        EDITORS, kwargs=_module, data={"summary": "Edited"}
    ),
    ("DELETE", f"{V1}/modules/{{public_id}}"): Row(EDITORS, kwargs=_fresh_module),
    ("POST", f"{V1}/modules/{{public_id}}/move"): Row(
        EDITORS, kwargs=_fresh_module, data={"direction": "up"}
    ),
    ("POST", f"{V1}/modules/{{public_id}}/publish"): Row(EDITORS, kwargs=_fresh_module),
    ("POST", f"{V1}/modules/{{public_id}}/unpublish"): Row(EDITORS, kwargs=_fresh_module),
    ("GET", f"{V1}/modules/{{public_id}}/lessons"): Row(EDITORS, kwargs=_module),
    ("POST", f"{V1}/modules/{{public_id}}/lessons"): Row(
        EDITORS, kwargs=_module, data={"title": "Matrix lesson", "kind": "text"}
    ),
    ("GET", f"{V1}/lessons/{{public_id}}"): Row(EDITORS, kwargs=_lesson),
    ("PATCH", f"{V1}/lessons/{{public_id}}"): Row(
        EDITORS, kwargs=_lesson, data={"estimated_minutes": 5}
    ),
    ("DELETE", f"{V1}/lessons/{{public_id}}"): Row(EDITORS, kwargs=_fresh_lesson),
    ("POST", f"{V1}/lessons/{{public_id}}/move"): Row(
        EDITORS, kwargs=_fresh_lesson, data={"direction": "up"}
    ),
    ("POST", f"{V1}/lessons/{{public_id}}/publish"): Row(EDITORS, kwargs=_fresh_lesson),
    ("POST", f"{V1}/lessons/{{public_id}}/unpublish"): Row(EDITORS, kwargs=_fresh_lesson),
    ("PUT", f"{V1}/lessons/{{public_id}}/media/{{field}}"): Row(EDITORS, kwargs=_media),
    ("GET", f"{V1}/lessons/{{public_id}}/media/{{field}}"): Row(EDITORS, kwargs=_media),
    ("DELETE", f"{V1}/lessons/{{public_id}}/media/{{field}}"): Row(EDITORS, kwargs=_media),
}


def _lesson_field(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["authoring_lesson"], "field": "file"}


UI: dict[str, Row] = {
    "courses:teach": Row(EDITORS),
    "courses:new": Row(CREATORS),
    "courses:edit": Row(EDITORS, kwargs=_course),
    "courses:publish": Row(EDITORS, method="post", kwargs=_fresh),
    "courses:unpublish": Row(EDITORS, kwargs=_course),
    "courses:archive": Row(EDITORS, kwargs=_course),
    "courses:copy": Row(EDITORS, kwargs=_course),
    "courses:delete": Row(EDITORS, kwargs=_course),
    "courses:outline": Row(EDITORS, kwargs=_course),
    "courses:module_new": Row(EDITORS, kwargs=_course),
    "courses:module_order": Row(EDITORS, method="post", kwargs=_course, data={"order": []}),
    "courses:lesson_order": Row(EDITORS, method="post", kwargs=_module, data={"order": []}),
    "courses:module_edit": Row(EDITORS, kwargs=_module),
    "courses:module_delete": Row(EDITORS, kwargs=_module),
    "courses:module_move": Row(
        EDITORS, method="post", kwargs=_fresh_module, data={"direction": "up"}
    ),
    "courses:module_publish": Row(
        EDITORS, method="post", kwargs=_fresh_module, data={"published": "1"}
    ),
    "courses:lesson_new": Row(EDITORS, kwargs=_module),
    "courses:lesson_edit": Row(EDITORS, kwargs=_lesson),
    "courses:lesson_delete": Row(EDITORS, kwargs=_lesson),
    "courses:lesson_move": Row(
        EDITORS, method="post", kwargs=_fresh_lesson, data={"direction": "up"}
    ),
    "courses:lesson_publish": Row(
        EDITORS, method="post", kwargs=_fresh_lesson, data={"published": "1"}
    ),
    "courses:lesson_preview": Row(EDITORS, kwargs=_lesson),
    "courses:lesson_upload": Row(EDITORS, method="post", kwargs=_lesson_field, data={}),
    "courses:lesson_media_remove": Row(EDITORS, kwargs=_lesson_field),
    "courses:lesson_media": Row(EDITORS, kwargs=_lesson_field),
}
