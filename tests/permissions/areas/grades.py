"""Matrix rows: the gradebook. Reading the grid needs grade.view in the course (its
instructor; managers, auditors and administrators site-wide); changing grades, items,
categories and letters needs grade.edit too (instructor, administrator); the CSV export
needs export.run as well (administrators by default). Learners read their own grades.

Rows that delete something make a fresh object for each persona, so a persona allowed to
delete does not leave a 404 for the next one."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from syllabus.grades.models import GradeCategory, GradeItem
from tests.permissions.matrix import SIGNED_IN, Row, only

VIEW = only("instructor", "manager", "auditor", "admin")
EDIT = only("instructor", "admin")
EXPORT = only("admin")
LEARNER = only("learner")


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


def _item(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["grades_item"]}


def _category(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["grades_category"]}


def _cell(c: dict[str, Any]) -> dict[str, Any]:
    return {"item_id": c["grades_item"], "user_id": c["grades_learner"]}


def _api_cell(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["grades_item"], "learner_id": c["grades_learner"]}


def _fresh_item(c: dict[str, Any]) -> dict[str, Any]:
    item = GradeItem.objects.create(
        course=c["course_obj"], title=f"Matrix {uuid.uuid4().hex[:8]}", max_points=Decimal("5")
    )
    return {"public_id": item.public_id}


def _fresh_category(c: dict[str, Any]) -> dict[str, Any]:
    category = GradeCategory.objects.create(
        course=c["course_obj"], name=f"Matrix {uuid.uuid4().hex[:8]}", weight=Decimal("1")
    )
    return {"public_id": category.public_id}


UI: dict[str, Row] = {
    "grades:mine": Row(SIGNED_IN),
    "grades:mine_course": Row(LEARNER, kwargs=_course),
    "grades:gradebook": Row(VIEW, kwargs=_course),
    "grades:export": Row(EXPORT, kwargs=_course),
    "grades:import": Row(EDIT, kwargs=_course),
    "grades:import_apply": Row(EDIT, method="post", kwargs=_course, data={}),
    "grades:setup": Row(EDIT, kwargs=_course),
    "grades:scale": Row(EDIT, method="post", kwargs=_course, data={}),
    "grades:category_new": Row(EDIT, method="post", kwargs=_course, data={}),
    "grades:category_edit": Row(EDIT, kwargs=_category),
    "grades:category_delete": Row(EDIT, kwargs=_category),  # GET: the confirmation
    "grades:item_new": Row(EDIT, kwargs=_course),
    "grades:item_edit": Row(EDIT, kwargs=_item),
    "grades:item_delete": Row(EDIT, kwargs=_item),  # GET: the confirmation
    "grades:cell": Row(EDIT, kwargs=_cell),
    "grades:override": Row(EDIT, kwargs=_cell),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/courses/{public_id}/gradebook"): Row(VIEW, kwargs=_course),
    ("GET", "/api/v1/courses/{public_id}/gradebook/scheme"): Row(VIEW, kwargs=_course),
    ("PATCH", "/api/v1/courses/{public_id}/gradebook/scheme"): Row(
        EDIT, kwargs=_course, data={"uncategorised_weight": "10"}
    ),
    ("POST", "/api/v1/courses/{public_id}/grade-categories"): Row(
        EDIT, kwargs=_course, data={"name": "Matrix API", "weight": "5"}
    ),
    ("PATCH", "/api/v1/grade-categories/{public_id}"): Row(
        EDIT, kwargs=_category, data={"weight": "3"}
    ),
    ("DELETE", "/api/v1/grade-categories/{public_id}"): Row(EDIT, kwargs=_fresh_category),
    ("POST", "/api/v1/courses/{public_id}/grade-items"): Row(
        EDIT, kwargs=_course, data={"title": "Matrix API item", "max_points": "10"}
    ),
    ("PATCH", "/api/v1/grade-items/{public_id}"): Row(EDIT, kwargs=_item, data={"counts": True}),
    ("DELETE", "/api/v1/grade-items/{public_id}"): Row(EDIT, kwargs=_fresh_item),
    ("PUT", "/api/v1/grade-items/{public_id}/grades/{learner_id}"): Row(
        EDIT, kwargs=_api_cell, data={"points": "4"}
    ),
    ("PUT", "/api/v1/grade-items/{public_id}/grades/{learner_id}/override"): Row(
        EDIT, kwargs=_api_cell, data={"points": "5", "reason": "Matrix"}
    ),
    ("DELETE", "/api/v1/grade-items/{public_id}/grades/{learner_id}/override"): Row(
        EDIT, kwargs=_api_cell
    ),
    ("GET", "/api/v1/grade-items/{public_id}/grades/{learner_id}/history"): Row(
        VIEW, kwargs=_api_cell
    ),
    ("GET", "/api/v1/courses/{public_id}/gradebook.csv"): Row(EXPORT, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/gradebook/import/preview"): Row(
        EDIT, kwargs=_course, data={"csv": "email,item,points\nnobody@example.org,X,1\n"}
    ),
    ("POST", "/api/v1/courses/{public_id}/gradebook/import"): Row(
        EDIT, kwargs=_course, data={"csv": "email,item,points\nnobody@example.org,X,1\n"}
    ),
    ("GET", "/api/v1/me/grades"): Row(SIGNED_IN),
    ("GET", "/api/v1/me/grades/{public_id}"): Row(LEARNER, kwargs=_course),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    category = GradeCategory.objects.create(course=course, name="Matrix", weight=Decimal("1"))
    item = GradeItem.objects.create(
        course=course, title="Matrix item", max_points=Decimal("10"), category=category
    )
    return {
        "grades_item": item.public_id,
        "grades_category": category.public_id,
        "grades_learner": base["people"]["learner"].public_id,
    }
