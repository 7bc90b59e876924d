"""API: progress, completion, the learner's dashboard data and course rosters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import course_for as _course
from syllabus.courses.api_common import require_course_perm as _require
from syllabus.courses.models import Lesson
from syllabus.learning.access import is_active_learner, is_course_staff, lesson_access
from syllabus.learning.directory import listed, sees_withheld_directory
from syllabus.learning.exports import roster_csv, roster_filename
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.learning.ranges import watched_percent
from syllabus.learning.records import record_records_view
from syllabus.learning.selectors import (
    completed_lesson_ids,
    flat_lessons,
    outline_states,
    progress_summary,
    required_lesson_ids,
    roster,
    roster_sort,
)
from syllabus.learning.services import (
    LessonUnavailable,
    lesson_complete,
    lesson_opened,
    video_progress,
)

router = Router(tags=["learning"])

ROSTER_PAGE_SIZE = 50
MY_COURSES_PAGE_SIZE = 50


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}


class LessonRef(Schema):
    public_id: str
    title: str


class MyCourseOut(Schema):
    public_id: str
    title: str
    percent: int = Field(description="Required lessons completed, in whole percent.")
    completed_lessons: int
    required_lessons: int
    completed_at: datetime | None = Field(description="When the course was completed.")
    last_activity_at: datetime | None
    last_lesson: LessonRef | None = Field(description="The lesson opened last.")
    next_lesson: LessonRef | None = Field(description="The first open lesson not completed.")


class MyCoursesPage(Schema):
    items: list[MyCourseOut]
    count: int
    page: int
    pages: int
    page_size: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Past the last page: the last page.")


class LessonStateOut(Schema):
    public_id: str
    title: str
    kind: str
    is_required: bool
    completed: bool
    locked: bool
    locked_reason: str = Field(description="Why the lesson cannot be opened yet, if it cannot.")


class CourseProgressOut(Schema):
    course: str = Field(description="The course's public id.")
    percent: int
    completed_lessons: int
    required_lessons: int
    completed_at: datetime | None
    last_activity_at: datetime | None
    last_lesson: str | None = Field(description="public_id of the lesson opened last.")
    lessons: list[LessonStateOut]


class LessonProgressOut(Schema):
    lesson: str = Field(description="The lesson's public id.")
    completed: bool
    completed_at: datetime | None
    video_position_seconds: float
    video_watched_seconds: float
    watched_percent: float | None = Field(description="Share of the video watched (videos).")
    course_percent: int


class VideoProgressIn(Schema):
    ranges: list[list[float]] = Field(
        ...,
        max_length=100,
        description="Stretches played since the last report, as [start, end] seconds.",
    )
    position: float = Field(..., description="Where the player is now, in seconds.")
    duration: float | None = Field(
        None, description="The video's length as the player sees it (used when unknown)."
    )


class RosterQuery(Schema):
    sort: str = Field(
        "name",
        max_length=20,
        description="name, email, cohort, enrolled, percent, lessons, activity or completed; "
        "a leading - sorts descending.",
    )
    cohort: str = Field("", max_length=40, description="A cohort's public id, or none.")
    page: int = Field(1, ge=1)


class RosterRowOut(Schema):
    user_id: str
    email: str = Field(description="Empty when withheld by the learner's directory opt-out")
    full_name: str = Field(description="Empty when withheld by the learner's directory opt-out")
    directory_withheld: bool = Field(
        description="The learner opted out of directory information (FERPA)"
    )
    cohort: str | None
    enrolled_at: datetime
    percent: int
    completed_lessons: int
    last_activity_at: datetime | None
    completed_at: datetime | None


class RosterPage(Schema):
    items: list[RosterRowOut]
    count: int
    page: int
    pages: int
    page_size: int
    required_lessons: int
    sort: str


def _me(request: HttpRequest) -> Any:
    """The signed-in user (the views below require one)."""
    return request.user


def _lesson(request: HttpRequest, public_id: str) -> Lesson:
    lesson = Lesson.objects.select_related("course", "module").filter(public_id=public_id).first()
    if lesson is None:
        raise Http404
    access = lesson_access(request.user, lesson)
    if access.hidden:
        raise Http404
    if not access.allowed:
        raise LessonUnavailable(access)
    return lesson


def _lesson_progress(
    progress: LessonProgress, lesson: Lesson, reported_duration: float | None = None
) -> dict[str, Any]:
    course_percent = (
        CourseProgress.objects.filter(user_id=progress.user_id, course_id=lesson.course_id)
        .values_list("percent", flat=True)
        .first()
    )
    percent = None
    if lesson.kind == Lesson.Kind.VIDEO:
        # The share of the video watched, against the length the service used.
        duration = lesson.video_duration_seconds or reported_duration
        if duration:
            percent = watched_percent(progress.video_watched_ranges or [], float(duration))
        elif progress.completed_at:
            percent = 100.0
    return {
        "lesson": lesson.public_id,
        "completed": progress.completed_at is not None,
        "completed_at": progress.completed_at,
        "video_position_seconds": progress.video_position_seconds,
        "video_watched_seconds": progress.video_watched_seconds,
        "watched_percent": percent,
        "course_percent": course_percent or 0,
    }


@router.get(
    "/me/courses",
    response={200: MyCoursesPage, **_ERRORS},
    summary="My courses with progress, last and next lesson (the dashboard's data)",
)
def my_courses(request: HttpRequest, query: Query[PageQuery]) -> Any:
    summary = progress_summary(request.user)
    page = Paginator(summary, MY_COURSES_PAGE_SIZE).get_page(query.page)
    items = [
        {
            "public_id": item["course_public_id"],
            "title": item["title"],
            "percent": item["percent"],
            "completed_lessons": item["completed_lessons"],
            "required_lessons": item["required_lessons"],
            "completed_at": item["completed_at"],
            "last_activity_at": item["last_activity_at"],
            "last_lesson": item["last_lesson"],
            "next_lesson": item["next_lesson"],
        }
        for item in page.object_list
    ]
    return {
        "items": items,
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": MY_COURSES_PAGE_SIZE,
    }


@router.get(
    "/courses/{public_id}/progress",
    response={200: CourseProgressOut, **_ERRORS},
    summary="My progress in a course, lesson by lesson (completed, locked and why)",
)
def my_course_progress(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    if not is_active_learner(request.user, course):
        if is_course_staff(request.user, course):
            raise PermissionDenied(_("Progress is recorded for enrolled learners only."))
        raise PermissionDenied(_("You are not enrolled in this course."))
    completed = completed_lesson_ids(request.user, [course.pk])
    states = outline_states(course, staff=False, completed=completed)
    row = CourseProgress.objects.filter(user=_me(request), course=course).first()
    return {
        "course": course.public_id,
        "percent": row.percent if row else 0,
        "completed_lessons": row.completed_lessons if row else 0,
        "required_lessons": row.required_lessons if row else required_lesson_ids(course.pk).count(),
        "completed_at": row.completed_at if row else None,
        "last_activity_at": row.last_activity_at if row else None,
        "last_lesson": row.last_lesson.public_id if row and row.last_lesson else None,
        "lessons": [
            {
                "public_id": lesson.public_id,
                "title": lesson.title,
                "kind": lesson.kind,
                "is_required": lesson.is_required,
                "completed": lesson.completed,
                "locked": bool(lesson.locked_reason),
                "locked_reason": lesson.locked_reason,
            }
            for lesson in flat_lessons(states)
        ],
    }


@router.post(
    "/lessons/{public_id}/open",
    response={200: LessonProgressOut, **_ERRORS},
    summary="Record that I opened a lesson (resume point, last activity)",
)
def open_lesson(request: HttpRequest, public_id: str) -> Any:
    lesson = _lesson(request, public_id)
    opened = lesson_opened(user=request.user, lesson=lesson)
    if opened is None:
        raise PermissionDenied(_("Progress is recorded for enrolled learners only."))
    return _lesson_progress(opened.progress, lesson)


@router.post(
    "/lessons/{public_id}/complete",
    response={200: LessonProgressOut, 422: Error, **_ERRORS},
    summary="Mark a lesson complete (text, file and externally hosted video lessons)",
)
def complete_lesson(request: HttpRequest, public_id: str) -> Any:
    lesson = _lesson(request, public_id)
    progress = lesson_complete(user=request.user, lesson=lesson)
    return _lesson_progress(progress, lesson)


@router.post(
    "/lessons/{public_id}/progress",
    response={200: LessonProgressOut, 422: Error, **_ERRORS},
    summary="Report what I watched of a video lesson; completes it past the set share",
)
def report_video_progress(request: HttpRequest, public_id: str, payload: VideoProgressIn) -> Any:
    lesson = _lesson(request, public_id)
    progress = video_progress(
        user=request.user,
        lesson=lesson,
        ranges=payload.ranges,
        position=payload.position,
        duration=payload.duration,
    )
    return _lesson_progress(progress, lesson, payload.duration)


def _roster_row(membership: Any, sees_all: bool) -> dict[str, Any]:
    user = listed(membership.user, opted_out=membership.directory_opt_out, viewer_sees_all=sees_all)
    return {
        "user_id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "directory_withheld": user.withheld,
        "cohort": membership.cohort.public_id if membership.cohort else None,
        "enrolled_at": membership.created_at,
        "percent": membership.progress_percent,
        "completed_lessons": membership.progress_completed,
        "last_activity_at": membership.progress_activity,
        "completed_at": membership.progress_completed_at,
    }


@router.get(
    "/courses/{public_id}/roster",
    response={200: RosterPage, **_ERRORS},
    summary="A course's learners with their progress (sortable, by cohort, paginated)",
)
def course_roster(request: HttpRequest, public_id: str, query: Query[RosterQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    key, descending = roster_sort(query.sort)
    page = Paginator(
        roster(course, sort=query.sort, cohort=query.cohort), ROSTER_PAGE_SIZE
    ).get_page(query.page)
    sees_all = sees_withheld_directory(request.user)
    record_records_view(viewer=request.user, course=course, records="roster", page=page.number)
    return {
        "items": [_roster_row(m, sees_all) for m in page.object_list],
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": ROSTER_PAGE_SIZE,
        "required_lessons": required_lesson_ids(course.pk).count(),
        "sort": f"-{key}" if descending else key,
    }


@router.get(
    "/courses/{public_id}/roster.csv",
    response={200: None, **_ERRORS},
    summary="Export a course's roster as CSV (export.run and a recent second factor; audited)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The roster as CSV",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def course_roster_csv(request: HttpRequest, public_id: str, query: Query[RosterQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    _require(request, course, "export.run")
    api_require_recent_mfa(request)
    lines, _count = roster_csv(
        actor=request.user, course=course, sort=query.sort, cohort=query.cohort
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(True, roster_filename(course)) or ""
    )
    response["Cache-Control"] = "no-store"
    return response
