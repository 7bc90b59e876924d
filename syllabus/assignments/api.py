"""API: assignments. Settings and rubric (``course.edit``), handing in (learners of the
lesson, ``multipart/form-data``), the grading queue, submissions, grading and
extensions (``grade.edit``: instructors, teaching assistants, administrators), and
submitted files (the learner who handed them in, and graders).

Courses a person may not see answer 404 (drafts are never revealed); seen but not
allowed, 403. Broken rules answer 422 ``invalid`` (``closed`` when the assignment no
longer takes work, ``too_many_versions`` past the site's limit). A refused hand-in
answers 400 with a code naming the reason
(``upload_type``, ``upload_content``, ``upload_zip_bomb``, ``upload_zip_path``,
``upload_empty``, ``upload_too_many_files``, ``upload_duplicate``, ``empty``,
``text_too_long``, ``text_not_accepted``, ``files_not_accepted``), or 413
``upload_too_large`` for a file over the limit, and stores nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from syllabus.accounts.models import User
from syllabus.accounts.tokens import token_allows
from syllabus.assignments import services
from syllabus.assignments.models import Assignment, Submission, SubmissionFile
from syllabus.assignments.selectors import (
    QUEUE_FILTERS,
    assignment_submissions,
    extension_for,
    grading_queue,
    learner_view,
    policy_words,
)
from syllabus.assignments.views import submission_file_response
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import course_for, require_course_perm
from syllabus.courses.models import Course
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.grades.models import LearnerVisibility
from syllabus.learning.access import lesson_access
from syllabus.learning.records import record_records_view
from syllabus.learning.services import LessonUnavailable

router = Router(tags=["assignments"])

PAGE_SIZE = 50
_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
_WRITE_ERRORS: dict[int, Any] = {**_ERRORS, 422: Error}
_UPLOAD_ERRORS: dict[int, Any] = {**_WRITE_ERRORS, 400: Error, 413: Error}

MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "description": "The answer, in Markdown."},
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "Files (repeat the part for each).",
                        },
                    },
                }
            }
        },
    }
}


# --- Schemas ----------------------------------------------------------------------------------


class LevelOut(Schema):
    id: str
    title: str
    points: Decimal


class CriterionOut(Schema):
    id: str
    title: str
    description: str
    levels: list[LevelOut]


class LevelIn(Schema):
    title: str = Field(..., max_length=200)
    points: Decimal = Field(..., ge=0, le=100_000, decimal_places=2)


class CriterionIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=1000)
    levels: list[LevelIn] = Field(..., min_length=1, max_length=10)


class FileOut(Schema):
    public_id: str
    name: str
    content_type: str
    size: int
    url: str


class RubricPick(Schema):
    criterion_id: str
    criterion: str
    level_id: str
    level: str
    points: Decimal
    max_points: Decimal


class GradeOut(Schema):
    points: Decimal = Field(description="From the rubric, or given directly.")
    adjustment: Decimal
    penalty_points: Decimal = Field(description="Taken off for lateness.")
    final_points: Decimal = Field(description="What counts in the gradebook.")
    max_points: Decimal
    rubric: list[RubricPick]
    feedback: str = Field(description="Markdown.")
    feedback_html: str
    graded_at: datetime


class SubmissionOut(Schema):
    public_id: str
    lesson: str = Field(description="The assignment lesson's public_id.")
    learner: str = Field(description="The learner's public_id.")
    learner_name: str
    version: int
    is_latest: bool
    text: str = Field(description="Markdown.")
    text_html: str
    files: list[FileOut]
    submitted_at: datetime
    due_at: datetime | None = Field(description="The learner's due date when handed in.")
    days_late: int
    penalty_percent: Decimal
    grade: GradeOut | None = Field(description="None until graded.")


class SubmissionRow(Schema):
    public_id: str
    lesson: str
    lesson_title: str
    learner: str
    learner_name: str
    version: int
    submitted_at: datetime
    days_late: int
    files: int
    graded: bool
    final_points: Decimal | None


class SubmissionPage(Schema):
    items: list[SubmissionRow]
    count: int
    page: int
    pages: int
    page_size: int


class LearnerStateOut(Schema):
    due_at: datetime | None = Field(description="Your due date (your extension if any).")
    closes_at: datetime | None = Field(description="No work accepted after (None: never).")
    resubmit_until: datetime | None
    extended: bool
    can_submit: bool
    refusal: str = Field(description="Why you cannot hand in now ('' when you can).")
    submissions: list[SubmissionOut] = Field(description="Your versions, newest first.")


class AssignmentOut(Schema):
    public_id: str
    lesson: str
    title: str
    instructions: str = Field(description="Markdown.")
    instructions_html: str
    max_points: Decimal
    due_at: datetime | None = Field(description="The lesson's due date.")
    accept_text: bool
    accept_files: bool
    allow_resubmission: bool
    late_policy: str = Field(description="penalty, cutoff or refuse")
    penalty_percent_per_day: Decimal
    penalty_max_percent: Decimal
    cutoff_at: datetime | None
    grade_visibility: str = Field(description="always, after (a date) or never")
    grade_visible_from: datetime | None
    late_policy_text: str
    rubric: list[CriterionOut]
    publish_problems: list[str] | None = Field(description="For editors only.")
    mine: LearnerStateOut | None = Field(description="For learners: your dates and versions.")


class AssignmentPatchIn(Schema):
    """Send only the fields to change."""

    instructions: str | None = Field(None, max_length=50_000)
    max_points: Decimal | None = Field(None, gt=0, le=100_000, decimal_places=2)
    due_at: datetime | None = Field(None, description="null with clear_due_at to remove.")
    clear_due_at: bool = False
    accept_text: bool | None = None
    accept_files: bool | None = None
    allow_resubmission: bool | None = None
    late_policy: Assignment.LatePolicy | None = None
    penalty_percent_per_day: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    penalty_max_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    cutoff_at: datetime | None = None
    clear_cutoff_at: bool = False
    grade_visibility: LearnerVisibility | None = Field(
        None, description="When learners see grades: always, after (a date) or never."
    )
    grade_visible_from: datetime | None = None
    rubric: list[CriterionIn] | None = Field(
        None, max_length=20, description="Replaces the rubric; [] removes it."
    )


class GradeIn(Schema):
    levels: dict[str, str] | None = Field(
        None, description="With a rubric: {criterion id: level id} for every criterion."
    )
    points: Decimal | None = Field(None, description="Without a rubric: the points.")
    adjustment: Decimal = Field(Decimal("0"), ge=-100_000, le=100_000)
    feedback: str = Field("", max_length=20_000, description="Markdown.")


class ExtensionIn(Schema):
    due_at: datetime
    reason: str = Field("", max_length=300)


class ExtensionOut(Schema):
    learner: str
    due_at: datetime
    reason: str


class QueueQuery(Schema):
    status: Literal["ungraded", "late", "graded", "all"] = "ungraded"
    page: int = Field(1, ge=1, description="Past the last page: the last page.")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Past the last page: the last page.")


# --- Lookups and output ----------------------------------------------------------------------


def _visible(request: HttpRequest, course_id: int) -> bool:
    return Course.objects.filter(courses_visible_to(request.user), pk=course_id).exists()


def _assignment(request: HttpRequest, public_id: str) -> Assignment:
    assignment = (
        Assignment.objects.select_related("lesson", "lesson__course", "lesson__module", "course")
        .filter(lesson__public_id=public_id)
        .first()
    )
    if assignment is None or not _visible(request, assignment.course_id):
        raise Http404
    return assignment


def _require_grader(request: HttpRequest, assignment: Assignment) -> None:
    require_course_perm(request, assignment.course, "grade.edit")


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("Sign in first."))
    return user


def _submission(request: HttpRequest, public_id: str) -> Submission:
    submission = (
        Submission.objects.select_related(
            "user", "assignment", "assignment__lesson", "assignment__course"
        )
        .filter(public_id=public_id)
        .first()
    )
    if submission is None or not _visible(request, submission.course_id):
        raise Http404
    return submission


def _require_viewer(request: HttpRequest, submission: Submission) -> None:
    own = submission.user_id == request.user.pk
    if own or (
        token_allows(request, "grade.edit")
        and services.can_grade(request.user, submission.assignment)
    ):
        return
    raise PermissionDenied(_("Only the learner who handed this in and the graders may see it."))


def _file_out(f: SubmissionFile, submission: str) -> dict[str, Any]:
    return {
        "public_id": f.public_id,
        "name": f.name,
        "content_type": f.content_type,
        "size": f.size,
        "url": reverse(
            "api-v1:assignment_file", kwargs={"public_id": submission, "file_id": f.public_id}
        ),
    }


def _submission_out(s: Submission, *, show_grade: bool = True) -> dict[str, Any]:
    """``show_grade``: False for a learner whose grades are not released yet."""
    grade = None
    if s.graded_at is not None and show_grade:
        grade = {
            "points": s.points,
            "adjustment": s.adjustment,
            "penalty_points": s.penalty_points,
            "final_points": s.final_points,
            "max_points": s.assignment.max_points,
            "rubric": s.rubric_scores,
            "feedback": s.feedback,
            "feedback_html": s.feedback_html,
            "graded_at": s.graded_at,
        }
    return {
        "public_id": s.public_id,
        "lesson": s.assignment.lesson.public_id,
        "learner": s.user.public_id,
        "learner_name": s.user.full_name,
        "version": s.version,
        "is_latest": s.is_latest,
        "text": s.text,
        "text_html": s.text_html,
        "files": [_file_out(f, s.public_id) for f in s.files.all()],
        "submitted_at": s.submitted_at,
        "due_at": s.due_at,
        "days_late": s.days_late,
        "penalty_percent": s.penalty_percent,
        "grade": grade,
    }


def _row(s: Any) -> dict[str, Any]:
    return {
        "public_id": s.public_id,
        "lesson": s.assignment.lesson.public_id,
        "lesson_title": s.assignment.lesson.title,
        "learner": s.user.public_id,
        "learner_name": s.user.full_name,
        "version": s.version,
        "submitted_at": s.submitted_at,
        "days_late": s.days_late,
        "files": s.file_count,
        "graded": s.graded_at is not None,
        "final_points": s.final_points,
    }


def _page(rows: Any, number: int) -> dict[str, Any]:
    page = Paginator(rows, PAGE_SIZE).get_page(number)
    return {
        "items": [_row(s) for s in page.object_list],
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": PAGE_SIZE,
    }


def _assignment_out(
    request: HttpRequest, assignment: Assignment, *, learner: bool
) -> dict[str, Any]:
    lesson = assignment.lesson
    mine = None
    if learner:
        view = learner_view(assignment, request.user)
        for version in view.versions:
            version.assignment = assignment
            version.user = request.user  # type: ignore[assignment]
        mine = {
            "due_at": view.deadline.due_at,
            "closes_at": view.deadline.closes_at,
            "resubmit_until": view.deadline.resubmit_until,
            "extended": view.deadline.extended,
            "can_submit": not view.refusal,
            "refusal": view.refusal,
            "submissions": [_submission_out(s, show_grade=view.released) for s in view.versions],
        }
        words = view.policy
    else:
        words = policy_words(assignment, services.deadline(assignment, None))
    editor = has_course_perm(request.user, assignment.course, "course.edit")
    return {
        "public_id": assignment.public_id,
        "lesson": lesson.public_id,
        "title": lesson.title,
        "instructions": assignment.instructions,
        "instructions_html": assignment.instructions_html,
        "max_points": assignment.max_points,
        "due_at": lesson.due_at,
        "accept_text": assignment.accept_text,
        "accept_files": assignment.accept_files,
        "allow_resubmission": assignment.allow_resubmission,
        "late_policy": assignment.late_policy,
        "penalty_percent_per_day": assignment.penalty_percent_per_day,
        "penalty_max_percent": assignment.penalty_max_percent,
        "cutoff_at": assignment.cutoff_at,
        "grade_visibility": assignment.grade_visibility,
        "grade_visible_from": assignment.grade_visible_from,
        "late_policy_text": words,
        "rubric": assignment.rubric,
        "publish_problems": services.publish_problems(assignment) if editor else None,
        "mine": mine,
    }


def _files(request: HttpRequest) -> tuple[str, list[Any]]:
    if request.content_type != "multipart/form-data":
        raise HttpError(400, _("Send the work as multipart/form-data (text, files)."))
    try:
        text = request.POST.get("text", "")
        files = request.FILES.getlist("files")
    except MultiPartParserError:
        raise HttpError(400, _("The multipart body could not be read.")) from None
    return text, files


# --- Settings ---------------------------------------------------------------------------------


@router.get(
    "/lessons/{public_id}/assignment",
    response={200: AssignmentOut, **_ERRORS},
    summary="An assignment: instructions, due date, late policy, rubric; a learner's versions",
)
def get_assignment(request: HttpRequest, public_id: str) -> Any:
    assignment = _assignment(request, public_id)
    access = lesson_access(request.user, assignment.lesson)
    if access.hidden:
        raise Http404
    if not access.allowed:
        raise LessonUnavailable(access)
    return _assignment_out(request, assignment, learner=not access.staff)


@router.patch(
    "/lessons/{public_id}/assignment",
    response={200: AssignmentOut, **_WRITE_ERRORS},
    summary="Change an assignment's settings, due date and rubric",
)
def update_assignment(request: HttpRequest, public_id: str, payload: AssignmentPatchIn) -> Any:
    assignment = _assignment(request, public_id)
    require_course_perm(request, assignment.course, "course.edit")
    data = payload.dict(exclude_unset=True)
    rubric = data.pop("rubric", services.UNSET)
    due: Any = services.UNSET
    if data.pop("clear_due_at", False):
        due = None
    elif data.get("due_at") is not None:
        due = data["due_at"]
    data.pop("due_at", None)
    if data.pop("clear_cutoff_at", False):
        data["cutoff_at"] = None
    if data.get("grade_visibility") is not None:
        data["grade_visibility"] = str(data["grade_visibility"].value)
    changes = {
        k: v for k, v in data.items() if v is not None or k in ("cutoff_at", "grade_visible_from")
    }
    if rubric is not services.UNSET and rubric is not None:
        rubric = [
            {**c, "levels": [{**lv, "points": str(lv["points"])} for lv in c["levels"]]}
            for c in rubric
        ]
    assignment = services.assignment_update(
        actor=_actor(request), assignment=assignment, changes=changes, rubric=rubric, due_at=due
    )
    return _assignment_out(request, assignment, learner=False)


# --- Handing in ----------------------------------------------------------------------------------


@router.post(
    "/lessons/{public_id}/assignment/submissions",
    response={201: SubmissionOut, **_UPLOAD_ERRORS},
    summary="Hand in work (multipart: text and/or files); each hand-in is a new version",
    openapi_extra=MULTIPART,
)
def create_submission(request: HttpRequest, public_id: str) -> Any:
    assignment = _assignment(request, public_id)
    access = lesson_access(request.user, assignment.lesson)
    if access.hidden:
        raise Http404
    if access.staff:
        raise PermissionDenied(_("Course staff preview assignments; only learners hand work in."))
    if not access.allowed:
        raise LessonUnavailable(access)
    text, files = _files(request)
    try:
        submission = services.submission_create(
            user=_actor(request), assignment=assignment, text=text, files=files
        )
    except services.SubmissionRefused as exc:
        code = exc.code or "refused"
        prefix = "" if code in services.TEXT_CODES else "upload_"
        error = HttpError(exc.status, " ".join(exc.messages))
        error.code = f"{prefix}{code}"  # type: ignore[attr-defined]
        raise error from None
    except ValidationError as exc:
        if exc.code in ("closed", "too_many_versions"):
            error = HttpError(422, " ".join(exc.messages))
            error.code = exc.code  # type: ignore[attr-defined]
            raise error from None
        raise
    submission = Submission.objects.select_related("assignment__lesson", "user").get(
        pk=submission.pk
    )
    return Status(201, _submission_out(submission))


# --- Grading -------------------------------------------------------------------------------------


@router.get(
    "/courses/{public_id}/grading-queue",
    response={200: SubmissionPage, **_ERRORS},
    summary="Learners' latest work across a course, oldest first (filter by status)",
)
def course_grading_queue(request: HttpRequest, public_id: str, query: Query[QueueQuery]) -> Any:
    course = course_for(request, public_id)
    require_course_perm(request, course, "grade.edit")
    assert query.status in QUEUE_FILTERS
    record_records_view(viewer=request.user, course=course, records="grading_queue")
    return _page(grading_queue(course=course, status=query.status), query.page)


@router.get(
    "/lessons/{public_id}/assignment/submissions",
    response={200: SubmissionPage, **_ERRORS},
    summary="Each learner's latest version of one assignment",
)
def list_submissions(request: HttpRequest, public_id: str, query: Query[PageQuery]) -> Any:
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    rows = assignment_submissions(assignment=assignment).select_related("assignment__lesson")
    record_records_view(
        viewer=request.user,
        course=assignment.course,
        records="submissions",
        assignment=assignment.public_id,
    )
    return _page(rows, query.page)


@router.get(
    "/submissions/{public_id}",
    response={200: SubmissionOut, **_ERRORS},
    summary="One version of a learner's work and its grade (the learner, or a grader)",
)
def get_submission(request: HttpRequest, public_id: str) -> Any:
    submission = _submission(request, public_id)
    _require_viewer(request, submission)
    assignment = submission.assignment
    show = assignment.grades_released() or services.can_grade(request.user, assignment)
    record_records_view(  # nothing is recorded when learners read their own work
        viewer=request.user,
        course=assignment.course,
        records="submission",
        learner=submission.user,
        submission=submission.public_id,
    )
    return _submission_out(submission, show_grade=show)


@router.post(
    "/submissions/{public_id}/grade",
    response={200: SubmissionOut, **_WRITE_ERRORS},
    summary="Grade the latest version: rubric levels or points, adjustment, feedback",
)
def grade_submission(request: HttpRequest, public_id: str, payload: GradeIn) -> Any:
    submission = _submission(request, public_id)
    _require_grader(request, submission.assignment)
    submission = services.submission_grade(
        actor=_actor(request),
        submission=submission,
        levels=payload.levels,
        points=payload.points,
        adjustment=payload.adjustment,
        feedback=payload.feedback,
    )
    return _submission_out(submission)


@router.get(
    "/submissions/{public_id}/files/{file_id}",
    response={200: None, 206: None, 416: None, **_ERRORS},
    url_name="assignment_file",
    summary="Download a submitted file (the learner, or a grader; HTTP Range supported)",
)
def get_submission_file(request: HttpRequest, public_id: str, file_id: str) -> Any:
    submission = _submission(request, public_id)
    _require_viewer(request, submission)
    stored = SubmissionFile.objects.filter(submission=submission, public_id=file_id).first()
    if stored is None:
        raise Http404
    return submission_file_response(request, stored)


# --- Extensions ----------------------------------------------------------------------------------


def _learner(public_id: str) -> User:
    user = User.objects.filter(public_id=public_id).first()
    if user is None:
        raise Http404
    return user


@router.put(
    "/lessons/{public_id}/assignment/extensions/{user_id}",
    response={200: ExtensionOut, **_WRITE_ERRORS},
    summary="Give a learner their own due date for an assignment",
)
def put_extension(request: HttpRequest, public_id: str, user_id: str, payload: ExtensionIn) -> Any:
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    learner = _learner(user_id)
    extension = services.extension_grant(
        actor=_actor(request),
        assignment=assignment,
        user=learner,
        due_at=payload.due_at,
        reason=payload.reason,
    )
    return {"learner": learner.public_id, "due_at": extension.due_at, "reason": extension.reason}


@router.delete(
    "/lessons/{public_id}/assignment/extensions/{user_id}",
    response={204: None, **_WRITE_ERRORS},
    summary="Remove a learner's extension (their due date is the assignment's again)",
)
def delete_extension(request: HttpRequest, public_id: str, user_id: str) -> Any:
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    extension = extension_for(assignment, _learner(user_id))
    if extension is None:
        raise Http404
    services.extension_remove(actor=_actor(request), extension=extension)
    return Status(204, None)
