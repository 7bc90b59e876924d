"""API: the gradebook. Staff read the grid (``grade.view`` in the course), change items,
categories, the letter scale and grades (``grade.edit``), export it as CSV (also
``export.run`` and a recent second factor; audited) and import manual grades from CSV
(preview, then apply: any error row answers 422 ``import_rejected`` and writes nothing).
Learners read their own released grades under ``/me/grades``.

Points, weights and percents are decimal strings with two places ("87.50"). Broken rules
answer 422 ``invalid``; courses a person may not see answer 404; seen but not allowed, 403.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import course_for as _course
from syllabus.courses.api_common import require_course_perm as _require
from syllabus.courses.models import Course
from syllabus.courses.permissions import courses_visible_to
from syllabus.grades import services
from syllabus.grades.exports import gradebook_csv, gradebook_filename
from syllabus.grades.imports import (
    ImportFormatError,
    ImportRejected,
    Preview,
    import_apply,
    import_preview,
    parse_grades_csv,
)
from syllabus.grades.models import Grade, GradeCategory, GradeItem, LearnerVisibility
from syllabus.grades.selectors import (
    GridRow,
    active_learners,
    grade_history,
    grid_rows,
    learner_view,
    my_courses,
    scheme,
)
from syllabus.learning.access import learner_membership
from syllabus.learning.records import record_records_view

router = Router(tags=["grades"])

MAX_PAGE_SIZE = 200
_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 422: Error}


# --- Schemas --------------------------------------------------------------------------------


class CategoryOut(Schema):
    public_id: str
    name: str
    weight: Decimal


class ItemOut(Schema):
    public_id: str
    title: str
    kind: str = Field(description="quiz, assignment or manual")
    category: str | None = Field(description="The category's public id; null: uncategorised.")
    max_points: Decimal
    due_at: datetime | None
    counts: bool
    learner_visibility: str = Field(description="always, after (a date) or never")
    learner_visible_from: datetime | None


class ScaleStep(Schema):
    letter: str = Field(min_length=1, max_length=5)
    min_percent: Decimal = Field(description="The lowest course percent that earns it.")


class SchemeOut(Schema):
    categories: list[CategoryOut]
    items: list[ItemOut]
    scale: list[ScaleStep]
    uncategorised_weight: Decimal | None = Field(
        description="Weight of items without a category; null: an equal share (the mean "
        "weight of the categories in use)."
    )


class GradeCell(Schema):
    item: str
    points: Decimal | None = Field(description="What counts: the override when there is one.")
    given_points: Decimal | None
    override_points: Decimal | None
    override_reason: str


class GroupPercent(Schema):
    category: str | None = Field(description="The category's public id; null: Uncategorised.")
    percent: Decimal | None


class LearnerRow(Schema):
    learner: str = Field(description="The learner's public id.")
    email: str
    full_name: str
    grades: list[GradeCell]
    categories: list[GroupPercent]
    percent: Decimal | None = Field(description="Course percent; null before any grade.")
    letter: str


class GradebookOut(Schema):
    items: list[ItemOut]
    categories: list[CategoryOut]
    learners: list[LearnerRow]
    page: int
    pages: int
    count: int


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class SchemeIn(Schema):
    scale: list[ScaleStep] | None = Field(None, max_length=20)
    uncategorised_weight: Decimal | None = Field(None, ge=0, le=1000)


class CategoryIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    weight: Decimal = Field(ge=0, le=1000)


class CategoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    weight: Decimal | None = Field(None, ge=0, le=1000)


class ItemIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    max_points: Decimal = Field(gt=0, le=100000)
    category: str | None = None
    due_at: datetime | None = None
    counts: bool = True
    learner_visibility: LearnerVisibility = LearnerVisibility.ALWAYS
    learner_visible_from: datetime | None = None


class ItemPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    max_points: Decimal | None = Field(None, gt=0, le=100000)
    category: str | None = None
    due_at: datetime | None = None
    counts: bool | None = None
    learner_visibility: LearnerVisibility | None = None
    learner_visible_from: datetime | None = None


class DeleteQuery(Schema):
    confirm: bool = Field(False, description="Needed when learners have grades on the item.")


class PointsIn(Schema):
    points: Decimal | None = Field(description="null clears the grade.")


class OverrideIn(Schema):
    points: Decimal
    reason: str = Field(min_length=1, max_length=500)


class RemoveOverrideIn(Schema):
    reason: str = Field("", max_length=500)


class GradeOut(Schema):
    item: str
    learner: str
    points: Decimal | None
    given_points: Decimal | None
    override_points: Decimal | None
    override_reason: str
    graded_at: datetime | None
    overridden_at: datetime | None


class HistoryEntry(Schema):
    at: datetime
    by: str | None = Field(description="Email of who changed it; null: the system.")
    given_points: Decimal | None
    override_points: Decimal | None
    override_reason: str
    change_reason: str | None


class ImportIn(Schema):
    csv: str = Field(
        description="The CSV text: a header with email, item and points, then one row per "
        "grade (item: id or exact title; empty points clear a grade)."
    )


class ImportRowOut(Schema):
    line: int
    email: str
    item: str
    points: str
    outcome: str = Field(description="update, clear, unchanged or error")
    message: str


class ImportOut(Schema):
    ok: bool
    rows: list[ImportRowOut]
    counts: dict[str, int]


class ImportError_(Schema):
    detail: str
    code: str
    rows: list[ImportRowOut]


class MyCourseGrade(Schema):
    course: str
    title: str
    percent: Decimal | None
    letter: str
    graded_items: int
    items: int


class MyItemGrade(Schema):
    item: str
    title: str
    category: str | None
    max_points: Decimal
    released: bool
    points: Decimal | None = Field(description="null when not graded or not released yet.")
    counts: bool


class MyCourseDetail(Schema):
    course: str
    title: str
    percent: Decimal | None = Field(description="Over released, graded items only.")
    letter: str
    items: list[MyItemGrade]


# --- Helpers --------------------------------------------------------------------------------


def _item_out(item: GradeItem) -> dict[str, Any]:
    return {
        "public_id": item.public_id,
        "title": item.title,
        "kind": item.kind,
        "category": item.category.public_id if item.category_id and item.category else None,
        "max_points": item.max_points,
        "due_at": item.due_at,
        "counts": item.counts,
        "learner_visibility": item.learner_visibility,
        "learner_visible_from": item.learner_visible_from,
    }


def _category_out(category: GradeCategory) -> dict[str, Any]:
    return {"public_id": category.public_id, "name": category.name, "weight": category.weight}


def _grade_out(grade: Grade, item: GradeItem, learner: Any) -> dict[str, Any]:
    return {
        "item": item.public_id,
        "learner": learner.public_id,
        "points": grade.effective_points,
        "given_points": grade.points,
        "override_points": grade.override_points,
        "override_reason": grade.override_reason,
        "graded_at": grade.graded_at,
        "overridden_at": grade.overridden_at,
    }


def _viewable(request: HttpRequest, public_id: str) -> Course:
    course = _course(request, public_id)
    _require(request, course, "grade.view")
    return course


def _editable(request: HttpRequest, public_id: str) -> Course:
    course = _viewable(request, public_id)
    _require(request, course, "grade.edit")
    return course


def _item(request: HttpRequest, public_id: str, code: str = "grade.edit") -> GradeItem:
    item = (
        GradeItem.objects.select_related("course", "category").filter(public_id=public_id).first()
    )
    if (
        item is None
        or not Course.objects.filter(courses_visible_to(request.user), pk=item.course_id).exists()
    ):
        raise Http404
    _require(request, item.course, "grade.view")
    _require(request, item.course, code)
    return item


def _category(request: HttpRequest, public_id: str) -> GradeCategory:
    category = GradeCategory.objects.select_related("course").filter(public_id=public_id).first()
    if (
        category is None
        or not Course.objects.filter(
            courses_visible_to(request.user), pk=category.course_id
        ).exists()
    ):
        raise Http404
    _require(request, category.course, "grade.view")
    _require(request, category.course, "grade.edit")
    return category


def _category_in(course: Course, public_id: str | None) -> GradeCategory | None:
    if public_id is None:
        return None
    category = GradeCategory.objects.filter(course=course, public_id=public_id).first()
    if category is None:
        raise ValidationError({"category": [_("No category of this course has that id.")]})
    return category


def _learner(course: Course, public_id: str) -> Any:
    membership = active_learners(course).filter(user__public_id=public_id).first()
    if membership is None:
        raise Http404
    return membership.user


def _row_out(row: GridRow, groups: list[tuple[int | None, str | None]]) -> dict[str, Any]:
    return {
        "learner": row.user.public_id,
        "email": row.user.email,
        "full_name": row.user.full_name,
        "grades": [
            {
                "item": item.public_id,
                "points": grade.effective_points if grade else None,
                "given_points": grade.points if grade else None,
                "override_points": grade.override_points if grade else None,
                "override_reason": grade.override_reason if grade else "",
            }
            for item, grade in row.cells
        ],
        "categories": [
            {
                "category": public_id,
                "percent": row.result.groups[key].percent if key in row.result.groups else None,
            }
            for key, public_id in groups
        ],
        "percent": row.result.percent,
        "letter": row.result.letter,
    }


def _preview_rows(preview: Preview) -> list[dict[str, Any]]:
    return [
        {
            "line": row.line,
            "email": row.email,
            "item": row.item_label,
            "points": row.points_text,
            "outcome": row.outcome,
            "message": row.message,
        }
        for row in preview.rows
    ]


def _rows(text: str) -> Any:
    try:
        return parse_grades_csv(text)
    except ImportFormatError as exc:
        raise ValidationError(str(exc)) from None


# --- Staff: grid and set-up -----------------------------------------------------------------


@router.get(
    "/courses/{public_id}/gradebook",
    response={200: GradebookOut, **_ERRORS},
    summary="A course's gradebook: items, categories and a page of learners with totals",
)
def gradebook(request: HttpRequest, public_id: str, query: Query[PageQuery]) -> Any:
    course = _viewable(request, public_id)
    the_scheme = scheme(course)
    page = Paginator(active_learners(course), query.page_size).get_page(query.page)
    record_records_view(viewer=request.user, course=course, records="gradebook", page=page.number)
    groups: list[tuple[int | None, str | None]] = [
        (c.pk, c.public_id) for c in the_scheme.categories
    ]
    if any(item.category_id is None for item in the_scheme.items):
        groups.append((None, None))
    return {
        "items": [_item_out(item) for item in the_scheme.items],
        "categories": [_category_out(c) for c in the_scheme.categories],
        "learners": [
            _row_out(row, groups) for row in grid_rows(course, page.object_list, the_scheme)
        ],
        "page": page.number,
        "pages": page.paginator.num_pages,
        "count": page.paginator.count,
    }


def _scheme_out(course: Course) -> dict[str, Any]:
    the_scheme = scheme(course)
    return {
        "categories": [_category_out(c) for c in the_scheme.categories],
        "items": [_item_out(item) for item in the_scheme.items],
        "scale": [
            {"letter": letter, "min_percent": value} for letter, value in the_scheme.settings.scale
        ],
        "uncategorised_weight": the_scheme.settings.uncategorised_weight,
    }


@router.get(
    "/courses/{public_id}/gradebook/scheme",
    response={200: SchemeOut, **_ERRORS},
    summary="How a course's grade is computed: categories, items, letters, uncategorised weight",
)
def get_scheme(request: HttpRequest, public_id: str) -> Any:
    return _scheme_out(_viewable(request, public_id))


@router.patch(
    "/courses/{public_id}/gradebook/scheme",
    response={200: SchemeOut, **_WRITE_ERRORS},
    summary="Change the letter scale and/or the weight of uncategorised items",
)
def update_scheme(request: HttpRequest, public_id: str, payload: SchemeIn) -> Any:
    course = _editable(request, public_id)
    changes = payload.dict(exclude_unset=True)
    services.scheme_update(
        actor=request.user,
        course=course,
        scale=(
            [(step["letter"], step["min_percent"]) for step in changes["scale"]]
            if changes.get("scale") is not None
            else None
        ),
        uncategorised_weight=changes.get("uncategorised_weight", services.UNCHANGED),
    )
    return _scheme_out(course)


@router.post(
    "/courses/{public_id}/grade-categories",
    response={201: CategoryOut, **_WRITE_ERRORS},
    summary="Add a weighted grade category",
)
def create_category(request: HttpRequest, public_id: str, payload: CategoryIn) -> Any:
    course = _editable(request, public_id)
    category = services.category_create(
        actor=request.user, course=course, name=payload.name, weight=payload.weight
    )
    return Status(201, _category_out(category))


@router.patch(
    "/grade-categories/{public_id}",
    response={200: CategoryOut, **_WRITE_ERRORS},
    summary="Rename a grade category or change its weight",
)
def update_category(request: HttpRequest, public_id: str, payload: CategoryPatch) -> Any:
    category = services.category_update(
        actor=request.user,
        category=_category(request, public_id),
        name=payload.name,
        weight=payload.weight,
    )
    return _category_out(category)


@router.delete(
    "/grade-categories/{public_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Delete a grade category (its items stay, uncategorised)",
)
def delete_category(request: HttpRequest, public_id: str) -> Any:
    services.category_delete(actor=request.user, category=_category(request, public_id))
    return Status(204, None)


@router.post(
    "/courses/{public_id}/grade-items",
    response={201: ItemOut, **_WRITE_ERRORS},
    summary="Add a manual grade item (work graded by hand)",
)
def create_item(request: HttpRequest, public_id: str, payload: ItemIn) -> Any:
    course = _editable(request, public_id)
    data = payload.dict()
    data["category"] = _category_in(course, data["category"])
    data["learner_visibility"] = str(data["learner_visibility"].value)
    item = services.manual_item_create(actor=request.user, course=course, **data)
    return Status(201, _item_out(item))


@router.patch(
    "/grade-items/{public_id}",
    response={200: ItemOut, **_WRITE_ERRORS},
    summary="Change a grade item (quiz and assignment items: only category and counts)",
)
def update_item(request: HttpRequest, public_id: str, payload: ItemPatch) -> Any:
    item = _item(request, public_id)
    changes = payload.dict(exclude_unset=True)
    if "category" in changes:
        changes["category"] = _category_in(item.course, changes["category"])
    for key in ("title", "max_points", "counts", "learner_visibility"):
        if key in changes and changes[key] is None:
            raise ValidationError({key: [_("%(field)s cannot be empty.") % {"field": key}]})
    if "learner_visibility" in changes:
        changes["learner_visibility"] = str(changes["learner_visibility"].value)
    return _item_out(services.item_update(actor=request.user, item=item, **changes))


@router.delete(
    "/grade-items/{public_id}",
    response={204: None, 409: Error, **_WRITE_ERRORS},
    summary="Delete a manual grade item (with grades: only with confirm=true)",
)
def delete_item(request: HttpRequest, public_id: str, query: Query[DeleteQuery]) -> Any:
    item = _item(request, public_id)
    try:
        services.item_delete(actor=request.user, item=item, confirm=query.confirm)
    except services.GradesExist as exc:
        return Status(409, {"detail": exc.messages[0], "code": "grades_exist"})
    return Status(204, None)


# --- Staff: grades --------------------------------------------------------------------------


@router.put(
    "/grade-items/{public_id}/grades/{learner_id}",
    response={200: GradeOut, **_WRITE_ERRORS},
    summary="Enter or clear a learner's points on a manual item",
)
def put_grade(request: HttpRequest, public_id: str, learner_id: str, payload: PointsIn) -> Any:
    item = _item(request, public_id)
    learner = _learner(item.course, learner_id)
    grade = services.grade_enter(
        actor=request.user, item=item, learner=learner, points=payload.points
    )
    return _grade_out(grade, item, learner)


@router.put(
    "/grade-items/{public_id}/grades/{learner_id}/override",
    response={200: GradeOut, **_WRITE_ERRORS},
    summary="Override what counts for a learner on any item, with a reason",
)
def put_override(request: HttpRequest, public_id: str, learner_id: str, payload: OverrideIn) -> Any:
    item = _item(request, public_id)
    learner = _learner(item.course, learner_id)
    grade = services.grade_override(
        actor=request.user, item=item, learner=learner, points=payload.points, reason=payload.reason
    )
    return _grade_out(grade, item, learner)


@router.delete(
    "/grade-items/{public_id}/grades/{learner_id}/override",
    response={204: None, **_WRITE_ERRORS},
    summary="Remove an override: the given points count again",
)
def delete_override(
    request: HttpRequest, public_id: str, learner_id: str, payload: RemoveOverrideIn | None = None
) -> Any:
    item = _item(request, public_id)
    learner = _learner(item.course, learner_id)
    services.grade_override_remove(
        actor=request.user, item=item, learner=learner, reason=payload.reason if payload else ""
    )
    return Status(204, None)


@router.get(
    "/grade-items/{public_id}/grades/{learner_id}/history",
    response={200: list[HistoryEntry], **_ERRORS},
    summary="Every change to one learner's grade on an item, newest first",
)
def get_history(request: HttpRequest, public_id: str, learner_id: str) -> Any:
    item = _item(request, public_id, code="grade.view")
    learner = _learner(item.course, learner_id)
    record_records_view(
        viewer=request.user, course=item.course, records="grade_history", learner=learner
    )
    grade = Grade.objects.filter(item=item, user=learner).first()
    return [
        {
            "at": entry.history_date,
            "by": entry.history_user.email if entry.history_user else None,
            "given_points": entry.points,
            "override_points": entry.override_points,
            "override_reason": entry.override_reason,
            "change_reason": entry.history_change_reason,
        }
        for entry in (grade_history(grade) if grade else [])
    ]


# --- Export and import ----------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/gradebook.csv",
    response={200: None, **_ERRORS},
    summary="Export a course's gradebook as CSV (export.run and a recent second factor; audited)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The gradebook as CSV",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def gradebook_export(request: HttpRequest, public_id: str) -> Any:
    course = _viewable(request, public_id)
    _require(request, course, "export.run")
    api_require_recent_mfa(request)
    lines, _count = gradebook_csv(actor=request.user, course=course)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(True, gradebook_filename(course)) or ""
    )
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/courses/{public_id}/gradebook/import/preview",
    response={200: ImportOut, **_WRITE_ERRORS},
    summary="What a CSV of manual grades would change, row by row (writes nothing)",
)
def import_preview_api(request: HttpRequest, public_id: str, payload: ImportIn) -> Any:
    course = _editable(request, public_id)
    preview = import_preview(course, _rows(payload.csv))
    return {"ok": preview.ok, "rows": _preview_rows(preview), "counts": preview.counts()}


@router.post(
    "/courses/{public_id}/gradebook/import",
    response={200: ImportOut, 422: ImportError_, **_ERRORS},
    summary="Import manual grades from CSV: every row or none (422 import_rejected)",
)
def import_apply_api(request: HttpRequest, public_id: str, payload: ImportIn) -> Any:
    course = _editable(request, public_id)
    try:
        preview = import_apply(actor=request.user, course=course, rows=_rows(payload.csv))
    except ImportRejected as exc:
        return Status(
            422,
            {
                "detail": exc.messages[0],
                "code": "import_rejected",
                "rows": _preview_rows(exc.preview),
            },
        )
    return {"ok": True, "rows": _preview_rows(preview), "counts": preview.counts()}


# --- Learners -------------------------------------------------------------------------------


@router.get(
    "/me/grades",
    response={200: list[MyCourseGrade], **_ERRORS},
    summary="Your course grades (released grades only)",
)
def me_grades(request: HttpRequest) -> Any:
    return [
        {
            "course": entry.course.public_id,
            "title": entry.course.title,
            "percent": entry.result.percent,
            "letter": entry.result.letter,
            "graded_items": entry.graded,
            "items": entry.items,
        }
        for entry in my_courses(request.user)
    ]


@router.get(
    "/me/grades/{public_id}",
    response={200: MyCourseDetail, **_ERRORS},
    summary="Your grades in one course, item by item (unreleased grades are withheld)",
)
def me_course_grades(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    if learner_membership(request.user, course) is None:
        raise PermissionDenied(_("This shows a learner's own grades in a course they take."))
    view = learner_view(request.user, course)
    return {
        "course": course.public_id,
        "title": course.title,
        "percent": view.result.percent,
        "letter": view.result.letter,
        "items": [
            {
                "item": item.public_id,
                "title": item.title,
                "category": item.category.name if item.category_id and item.category else None,
                "max_points": item.max_points,
                "released": released,
                "points": grade.effective_points if released and grade else None,
                "counts": item.counts,
            }
            for item, grade, released in view.rows
        ],
    }
