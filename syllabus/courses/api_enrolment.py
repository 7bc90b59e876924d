"""API: Enrolment, cohorts, waiting lists and bulk imports.

The same services as the pages (``syllabus.courses.services_enrolment``). A refused
enrolment answers ``{"detail", "code"}`` with codes such as ``course_full``,
``already_enrolled``, ``wrong_key``, ``key_required``, ``enrolment_closed``,
``prerequisites_missing`` (with ``missing``: the courses to complete first),
``not_enrolled``, ``unknown_user``, ``rate_limited``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import AfterValidator

from syllabus.accounts.models import User
from syllabus.core.api_schemas import Error
from syllabus.courses import services_enrolment as svc
from syllabus.courses.api_common import require_course_perm as _require
from syllabus.courses.models import Cohort, Course, CourseMembership, EnrolmentImport, WaitlistEntry
from syllabus.courses.permissions import courses_visible_to

router = Router(tags=["enrolment"])

PAGE_SIZE = 50


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here (422), not in the database (500).
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class KeyIn(Schema):
    key: Text | None = Field(None, max_length=64, description="The enrolment key, on key courses.")


class CourseRef(Schema):
    public_id: str
    title: str


class StateOut(Schema):
    status: str = Field(
        ...,
        description="member, waitlisted, open, key, full, manual, closed or prerequisites",
    )
    role: str = ""
    ends_at: datetime | None = None
    places_left: int | None = Field(None, description="Empty when the course has no limit.")
    waitlist_position: int | None = None
    message: str = ""
    missing_prerequisites: list[CourseRef] = []


class EnrolmentOut(Schema):
    user_id: str
    email: str
    full_name: str
    role: str
    source: str
    cohort: str | None
    ends_at: datetime | None
    enrolled_at: datetime


class EnrolmentPage(Schema):
    count: int
    page: int
    pages: int
    results: list[EnrolmentOut]


class EnrolmentQuery(Schema):
    q: Text = Field("", max_length=200, description="Part of a name or email.")
    role: Text = Field("", max_length=64, description="Only this course role.")
    cohort: Text = Field("", max_length=40, description="Only this cohort (its public id).")
    page: int = Field(1, ge=1)


class EnrolmentIn(Schema):
    email: Text = Field(..., max_length=254, description="The email of an existing account.")
    role: Text = Field("learner", max_length=64, description="learner, teaching_assistant, ...")
    cohort: Text | None = Field(None, max_length=40, description="A cohort's public id.")
    ends_at: date | None = Field(None, description="Last day of access (learners only).")
    override_capacity: bool = Field(False, description="Enrol even when the course is full.")


class EnrolmentPatch(Schema):
    cohort: Text | None = Field(None, max_length=40, description="A cohort's public id, or null.")
    ends_at: date | None = Field(None, description="Last day of access, or null for no end.")


class WaitlistOut(Schema):
    position: int


class WaitlistEntryOut(Schema):
    position: int
    user_id: str
    email: str
    full_name: str
    joined_at: datetime


class WaitlistPage(Schema):
    count: int
    page: int
    pages: int
    results: list[WaitlistEntryOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1)


class CohortOut(Schema):
    public_id: str
    name: str
    members: int


class CohortIn(Schema):
    name: Text = Field(..., min_length=1, max_length=100)


class ImportRowOut(Schema):
    line: int
    email: str
    role: str
    cohort: str
    ends_at: str
    outcome: str = Field(..., description="enrol, update, unchanged or error")
    message: str


class ImportTotals(Schema):
    enrol: int
    update: int
    unchanged: int
    error: int


class ImportOut(Schema):
    public_id: str | None = Field(None, description="Empty for a dry run (nothing is kept).")
    status: str = Field(..., description="dry_run, previewed, queued or applied")
    failed: str = Field("", description="Why a queued import could not be applied.")
    totals: ImportTotals
    warnings: list[str]
    rows: list[ImportRowOut]


class ImportQuery(Schema):
    dry_run: bool = Field(False, description="Only report what would happen; keep nothing.")
    override_capacity: bool = Field(False, description="Rows may enrol beyond capacity.")


_ERRORS: dict[int, Any] = {
    400: Error,
    401: Error,
    403: Error,
    404: Error,
    409: Error,
    422: Error,
    429: Error,
}


def refusals(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer a refused enrolment with its status, code and facts."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except svc.EnrolmentError as exc:
            return refusal(exc)

    return wrapper


def refusal(exc: svc.EnrolmentError) -> HttpResponse:
    extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
    response = JsonResponse(
        {"detail": " ".join(exc.messages), "code": exc.code, **extra}, status=exc.status
    )
    if "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in first."))
    return user


def _found(*ids: str) -> None:
    """Ids from the path: a NUL byte can match nothing (and PostgreSQL refuses it)."""
    if any("\x00" in value for value in ids):
        raise Http404


def _course(request: HttpRequest, public_id: str) -> Course:
    _found(public_id)
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    return course


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _cohort(course: Course, public_id: str | None) -> Cohort | None:
    if not public_id:
        return None
    cohort = Cohort.objects.filter(course=course, public_id=public_id).first()
    if cohort is None:
        raise svc.EnrolmentError(_("No such cohort in this course."), "unknown_cohort", 422)
    return cohort


def _enrolment(m: CourseMembership) -> dict[str, Any]:
    return {
        "user_id": m.user.public_id,
        "email": m.user.email,
        "full_name": m.user.full_name,
        "role": m.role.slug,
        "source": m.source,
        "cohort": m.cohort.public_id if m.cohort else None,
        "ends_at": m.ends_at,
        "enrolled_at": m.created_at,
    }


def _page(qs: Any, page: int) -> tuple[int, int, Any]:
    count = qs.count()
    start = (page - 1) * PAGE_SIZE
    return count, max(1, -(-count // PAGE_SIZE)), qs[start : start + PAGE_SIZE]


# --- Learners -------------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/enrolment",
    response={200: StateOut, **_ERRORS},
    summary="My enrolment in a course: enrolled, waiting, or what enrolling needs",
)
def my_enrolment(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    state = svc.enrolment_state(_user(request), course)
    return {
        "status": state.status,
        "role": state.role,
        "ends_at": state.ends_at,
        "places_left": state.places_left,
        "waitlist_position": state.position,
        "message": state.message,
        "missing_prerequisites": [
            {"public_id": c.public_id, "title": c.title} for c in state.missing
        ],
    }


@router.post(
    "/courses/{public_id}/enrol",
    response={201: EnrolmentOut, **_ERRORS},
    summary="Enrol myself (open courses; key courses with the key)",
    description="Refusals: course_full (join the waiting list), already_enrolled, "
    "key_required, wrong_key (rate-limited: rate_limited with Retry-After), "
    "enrolment_closed, prerequisites_missing (with `missing`).",
)
@refusals
def enrol(request: HttpRequest, public_id: str, payload: KeyIn | None = None) -> Any:
    course = _course(request, public_id)
    membership = svc.enrol_self(
        user=_user(request),
        course=course,
        key=payload.key if payload else None,
        base_url=_base_url(request),
    )
    return Status(201, _enrolment(membership))


@router.delete(
    "/courses/{public_id}/enrolment",
    response={204: None, **_ERRORS},
    summary="Leave a course (learners); the next person waiting gets the place",
)
@refusals
def leave(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    svc.leave_course(user=_user(request), course=course, base_url=_base_url(request))
    return Status(204, None)


@router.post(
    "/courses/{public_id}/waitlist",
    response={201: WaitlistOut, **_ERRORS},
    summary="Join the waiting list of a full course",
)
@refusals
def join_waitlist(request: HttpRequest, public_id: str, payload: KeyIn | None = None) -> Any:
    course = _course(request, public_id)
    user = _user(request)
    svc.waitlist_join(user=user, course=course, key=payload.key if payload else None)
    return Status(201, {"position": svc.waitlist_position(user, course) or 1})


@router.delete(
    "/courses/{public_id}/waitlist",
    response={204: None, **_ERRORS},
    summary="Leave the waiting list",
)
@refusals
def leave_waitlist(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    svc.waitlist_leave(user=_user(request), course=course)
    return Status(204, None)


# --- Staff ----------------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/waitlist",
    response={200: WaitlistPage, **_ERRORS},
    summary="The waiting list of a course, first in line first (staff)",
)
def list_waitlist(request: HttpRequest, public_id: str, filters: Query[PageQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    entries = WaitlistEntry.objects.filter(course=course).select_related("user")
    count, pages, rows = _page(entries.order_by("created_at", "pk"), filters.page)
    first = (filters.page - 1) * PAGE_SIZE
    return {
        "count": count,
        "page": filters.page,
        "pages": pages,
        "results": [
            {
                "position": first + i + 1,
                "user_id": e.user.public_id,
                "email": e.user.email,
                "full_name": e.user.full_name,
                "joined_at": e.created_at,
            }
            for i, e in enumerate(rows)
        ],
    }


@router.get(
    "/courses/{public_id}/enrolments",
    response={200: EnrolmentPage, **_ERRORS},
    summary="People in a course with role, cohort, source and end date (paginated)",
)
def list_enrolments(request: HttpRequest, public_id: str, filters: Query[EnrolmentQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    qs = course.memberships.select_related("user", "role", "cohort")
    if filters.q.strip():
        qs = qs.filter(
            Q(user__email__icontains=filters.q.strip())
            | Q(user__full_name__icontains=filters.q.strip())
        )
    if filters.role:
        qs = qs.filter(role__slug=filters.role)
    if filters.cohort:
        qs = qs.filter(cohort__public_id=filters.cohort)
    count, pages, rows = _page(qs.order_by("user__email"), filters.page)
    return {
        "count": count,
        "page": filters.page,
        "pages": pages,
        "results": [_enrolment(m) for m in rows],
    }


@router.post(
    "/courses/{public_id}/enrolments",
    response={201: EnrolmentOut, **_ERRORS},
    summary="Enrol a person by email, with role, cohort and end date (staff)",
    description="Refusals: unknown_user, unknown_role, unknown_cohort, already_enrolled, "
    "course_full (set override_capacity to enrol beyond capacity).",
)
@refusals
def add_enrolment(request: HttpRequest, public_id: str, payload: EnrolmentIn) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    membership = svc.enrolment_add(
        actor=_user(request),
        course=course,
        email=payload.email,
        role=payload.role,
        cohort=_cohort(course, payload.cohort),
        ends_at=svc.end_of_day(payload.ends_at) if payload.ends_at else None,
        override_capacity=payload.override_capacity,
    )
    return Status(201, _enrolment(membership))


def _member(course: Course, user_id: str) -> User:
    _found(user_id)
    user = User.objects.filter(public_id=user_id, course_memberships__course=course).first()
    if user is None:
        raise Http404
    return user


@router.patch(
    "/courses/{public_id}/enrolments/{user_id}",
    response={200: EnrolmentOut, **_ERRORS},
    summary="Change a member's cohort or end date (staff)",
    description="Send only the fields to change; null clears the cohort or the end date.",
)
@refusals
def update_enrolment(
    request: HttpRequest, public_id: str, user_id: str, payload: EnrolmentPatch
) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    user = _member(course, user_id)
    changes: dict[str, Any] = {}
    sent = payload.model_fields_set
    if "cohort" in sent:
        changes["cohort"] = _cohort(course, payload.cohort)
    if "ends_at" in sent:
        changes["ends_at"] = svc.end_of_day(payload.ends_at) if payload.ends_at else None
    membership = svc.enrolment_update(actor=_user(request), course=course, user=user, **changes)
    membership = CourseMembership.objects.select_related("user", "role", "cohort").get(
        pk=membership.pk
    )
    return _enrolment(membership)


@router.delete(
    "/courses/{public_id}/enrolments/{user_id}",
    response={204: None, **_ERRORS},
    summary="Remove a person from a course (staff); the waiting list moves up",
)
@refusals
def remove_enrolment(request: HttpRequest, public_id: str, user_id: str) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    user = _member(course, user_id)
    svc.enrolment_remove(
        actor=_user(request), course=course, user=user, base_url=_base_url(request)
    )
    return Status(204, None)


# --- Cohorts --------------------------------------------------------------------------------


def _cohort_out(cohort: Cohort, members: int) -> dict[str, Any]:
    return {"public_id": cohort.public_id, "name": cohort.name, "members": members}


@router.get(
    "/courses/{public_id}/cohorts",
    response={200: list[CohortOut], **_ERRORS},
    summary="Cohorts of a course with their member counts",
)
def list_cohorts(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    cohorts = Cohort.objects.filter(course=course).annotate(n=Count("memberships"))
    return [_cohort_out(c, c.n) for c in cohorts]


@router.post(
    "/courses/{public_id}/cohorts",
    response={201: CohortOut, **_ERRORS},
    summary="Create a cohort in a course",
)
@refusals
def create_cohort(request: HttpRequest, public_id: str, payload: CohortIn) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    cohort = svc.cohort_create(actor=_user(request), course=course, name=payload.name)
    return Status(201, _cohort_out(cohort, 0))


def _visible_cohort(request: HttpRequest, public_id: str) -> Cohort:
    _found(public_id)
    cohort = (
        Cohort.objects.filter(
            public_id=public_id, course__in=Course.objects.filter(courses_visible_to(request.user))
        )
        .select_related("course")
        .first()
    )
    if cohort is None:
        raise Http404
    return cohort


@router.patch(
    "/cohorts/{public_id}",
    response={200: CohortOut, **_ERRORS},
    summary="Rename a cohort",
)
@refusals
def rename_cohort(request: HttpRequest, public_id: str, payload: CohortIn) -> Any:
    cohort = _visible_cohort(request, public_id)
    _require(request, cohort.course, "enrolment.manage")
    cohort = svc.cohort_rename(actor=_user(request), cohort=cohort, name=payload.name)
    return _cohort_out(cohort, cohort.memberships.count())


@router.delete(
    "/cohorts/{public_id}",
    response={204: None, **_ERRORS},
    summary="Delete a cohort (its members stay enrolled, without a cohort)",
)
@refusals
def delete_cohort(request: HttpRequest, public_id: str) -> Any:
    cohort = _visible_cohort(request, public_id)
    _require(request, cohort.course, "enrolment.manage")
    svc.cohort_delete(actor=_user(request), cohort=cohort)
    return Status(204, None)


# --- Bulk imports ---------------------------------------------------------------------------

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def _import_out(imp: EnrolmentImport | None, report: dict[str, Any], status: str) -> Any:
    return {
        "public_id": imp.public_id if imp else None,
        "status": status,
        "failed": report.get("failed", ""),
        "totals": report["totals"],
        "warnings": report.get("warnings", []),
        "rows": report["rows"],
    }


@router.post(
    "/courses/{public_id}/enrolment-imports",
    response={200: ImportOut, 201: ImportOut, 413: Error, **_ERRORS},
    summary="Upload a bulk-enrolment CSV and get the per-row report",
    description="The body is the CSV (text/csv) or a multipart form with a `file` field. "
    "Columns: email (required), role, cohort, ends_at (YYYY-MM-DD); a header line; UTF-8; "
    "comma or semicolon. With dry_run nothing is kept (200); otherwise the import is kept "
    "(201) and applied with POST /enrolment-imports/{id}/apply.",
    openapi_extra=_CSV_BODY,
)
@refusals
def upload_import(request: HttpRequest, public_id: str, options: Query[ImportQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    upload = request.FILES.get("file")
    if upload is not None:
        limit = settings.UPLOAD_MAX_CSV_KB * 1024
        data = upload.read(limit + 1)
        filename = upload.name or ""
    elif (request.content_type or "").startswith("multipart/"):
        raise svc.EnrolmentError(_("Attach the CSV as the `file` field."), "missing_file", 400)
    else:
        data, filename = request.body, ""
    imp, report = svc.import_preview(
        actor=_user(request),
        course=course,
        data=data,
        filename=filename,
        override_capacity=options.override_capacity,
        dry_run=options.dry_run,
    )
    if imp is None:
        return Status(200, _import_out(None, report, "dry_run"))
    return Status(201, _import_out(imp, report, "previewed"))


def _import(request: HttpRequest, public_id: str) -> EnrolmentImport:
    _found(public_id)
    imp = (
        EnrolmentImport.objects.filter(
            public_id=public_id,
            course__in=Course.objects.filter(courses_visible_to(request.user)),
        )
        .select_related("course")
        .first()
    )
    if imp is None:
        raise Http404
    _require(request, imp.course, "enrolment.manage")
    return imp


@router.get(
    "/enrolment-imports/{public_id}",
    response={200: ImportOut, **_ERRORS},
    summary="A bulk-enrolment import and its report",
)
def get_import(request: HttpRequest, public_id: str) -> Any:
    imp = _import(request, public_id)
    status = "queued" if svc.import_queued_at(imp) else imp.status
    return _import_out(imp, imp.report, status)


@router.post(
    "/enrolment-imports/{public_id}/apply",
    response={200: ImportOut, 202: ImportOut, **_ERRORS},
    summary="Apply a previewed import: valid rows, in one transaction",
    description="Rows are checked again against the course as it is now. Re-running the "
    "same file changes nothing (every row unchanged). An import applies once "
    "(already_applied). Large imports are applied by the background worker: 202 with "
    "status queued; GET the import until its status is applied.",
)
@refusals
def apply_import(request: HttpRequest, public_id: str) -> Any:
    imp = _import(request, public_id)
    report = svc.import_apply_or_queue(actor=_user(request), imp=imp)
    if report is None:
        imp.refresh_from_db()
        return Status(202, _import_out(imp, imp.report, "queued"))
    return _import_out(imp, report, "applied")
