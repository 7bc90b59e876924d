"""Learner pages: lessons, resume, dashboard; the instructor's roster and its export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.accounts.sensitive import sensitive_action
from syllabus.courses.media import (
    lesson_media_content_type,
    lesson_media_response,
    lesson_media_url,
)
from syllabus.courses.models import Course, Lesson
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.learning.access import (
    Access,
    is_active_learner,
    is_course_staff,
    learner_membership,
    lesson_access,
)
from syllabus.learning.directory import (
    WITHHELD,
    directory_opt_out_set,
    listed,
    opted_out,
    sees_withheld_directory,
)
from syllabus.learning.exports import roster_csv, roster_filename
from syllabus.learning.models import CourseProgress
from syllabus.learning.records import record_records_view
from syllabus.learning.selectors import (
    completed_lesson_ids,
    first_open_lesson,
    flat_lessons,
    outline_states,
    progress_summary,
    recent_announcements,
    required_lesson_ids,
    roster,
    roster_sort,
    upcoming_due,
)
from syllabus.learning.services import lesson_complete, lesson_opened, manual_completion

ROSTER_PAGE_SIZE = 50
DASHBOARD_PAGE_SIZE = 20
MEDIA_FIELDS = {"video": Lesson.Kind.VIDEO, "captions": Lesson.Kind.VIDEO, "file": Lesson.Kind.FILE}


def _me(request: HttpRequest) -> Any:
    """The signed-in user (the views below require one)."""
    return request.user


def _lesson(public_id: str) -> Lesson:
    lesson = Lesson.objects.select_related("course", "module").filter(public_id=public_id).first()
    if lesson is None:
        raise Http404
    return lesson


def _visible_course(request: HttpRequest, public_id: str) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    return course


def _refused(request: HttpRequest, course: Course, reason: str) -> HttpResponse:
    """A 403 page that says why and what to do (enrol, wait, finish another lesson)."""
    return render(
        request,
        "learning/refused.html",
        {"course": course, "reason": reason},
        status=403,
    )


def _check(request: HttpRequest, lesson: Lesson, completed: set[int] | None = None) -> Access:
    access = lesson_access(request.user, lesson, completed=completed)
    if access.hidden:
        raise Http404
    return access


@login_required
@require_safe
def lesson(request: HttpRequest, public_id: str) -> HttpResponse:
    lesson = _lesson(public_id)
    course = lesson.course
    completed = completed_lesson_ids(request.user, [course.pk])
    access = _check(request, lesson, completed)
    if not access.allowed:
        return _refused(request, course, access.reason)
    opened = None
    if not access.staff and request.method == "GET":
        opened = lesson_opened(user=request.user, lesson=lesson, completed=completed)
    states = outline_states(course, staff=access.staff, completed=completed, current_id=lesson.pk)
    lessons = flat_lessons(states)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.pk), None)
    previous = lessons[index - 1] if index else None
    following = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
    can_complete, completion_hint = manual_completion(lesson)
    course_progress: CourseProgress | None = None
    if opened is not None:
        course_progress = opened.course_progress
    elif not access.staff:  # a HEAD request records nothing
        course_progress = CourseProgress.objects.filter(user=_me(request), course=course).first()
    return render(
        request,
        "learning/lesson.html",
        {
            "lesson": lesson,
            "course": course,
            "staff": access.staff,
            "can_see_roster": access.staff
            and has_course_perm(request.user, course, "course.view_learners"),
            "modules": states,
            "previous": previous,
            "next": following,
            "progress": opened.progress if opened is not None else None,
            "course_progress": course_progress,
            "completed": lesson.pk in completed,
            "can_complete": can_complete and not access.staff,
            "completion_hint": completion_hint,
            "video_type": lesson_media_content_type(lesson, "video") if lesson.video else "",
            "media_src": {
                field: lesson_media_url(
                    lesson,
                    field,
                    checked_url=reverse("learning:lesson_media", args=[lesson.public_id, field]),
                )
                for field in ("video", "captions")
                if getattr(lesson, field)
            },
        },
    )


@login_required
@require_POST
def complete(request: HttpRequest, public_id: str) -> HttpResponse:
    """Mark a text lesson (or an external video, or a file) complete; htmx swaps the panel."""
    lesson = _lesson(public_id)
    access = _check(request, lesson)
    if not access.allowed:
        return _refused(request, lesson.course, access.reason)
    if access.staff:
        raise PermissionDenied(_("Progress is recorded for enrolled learners only."))
    error = ""
    try:
        lesson_complete(user=request.user, lesson=lesson)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.headers.get("HX-Request"):
        completed = completed_lesson_ids(request.user, [lesson.course_id])
        states = outline_states(
            lesson.course, staff=False, completed=completed, current_id=lesson.pk
        )
        lessons = flat_lessons(states)
        index = next((i for i, item in enumerate(lessons) if item.id == lesson.pk), None)
        following = lessons[index + 1] if index is not None and index + 1 < len(lessons) else None
        return render(
            request,
            "learning/lesson.html#learn-complete-panel",
            {
                "lesson": lesson,
                "completed": lesson.pk in completed,
                "can_complete": True,
                "error": error,
                "next": following,
                "course_progress": CourseProgress.objects.filter(
                    user=_me(request), course=lesson.course
                ).first(),
                "oob": True,
            },
            # htmx swaps only 2xx answers: the refusal is shown in the panel (role=alert).
            status=200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(title)s” is complete.") % {"title": lesson.title})
    return redirect("learning:lesson", public_id=lesson.public_id)


@login_required
@require_safe
def lesson_media(request: HttpRequest, public_id: str, field: str) -> HttpResponseBase:
    """A lesson's video, captions or document for the people who may open the lesson.
    Downloading a file lesson's document completes the lesson."""
    lesson = _lesson(public_id)
    access = _check(request, lesson)
    if not access.allowed:
        return _refused(request, lesson.course, access.reason)
    if field not in MEDIA_FIELDS or lesson.kind != MEDIA_FIELDS[field]:
        raise Http404
    stored = getattr(lesson, field)
    if not stored or not stored.storage.exists(stored.name):
        raise Http404
    if field == "file" and not access.staff and request.method == "GET":
        lesson_complete(user=request.user, lesson=lesson, opened_file=True)
    return lesson_media_response(request, lesson, field)


@login_required
@require_safe
def course_home(request: HttpRequest, public_id: str) -> HttpResponse:
    """Resume: the last lesson the learner opened, else the first open one."""
    course = _visible_course(request, public_id)
    user = _me(request)
    staff = is_course_staff(user, course)
    if not staff:
        if not is_active_learner(user, course):
            membership = learner_membership(user, course)
            reason = (
                _("Your enrolment in this course has ended.")
                if membership
                else _("Enrol in this course to start learning.")
            )
            return _refused(request, course, reason)
        if course.status != Course.Status.PUBLISHED:
            return _refused(request, course, _("This course is not open at the moment."))
    completed = completed_lesson_ids(user, [course.pk])
    states = outline_states(course, staff=staff, completed=completed)
    lessons = flat_lessons(states)
    target = None
    if staff:
        target = lessons[0] if lessons else None
    else:
        last_id = (
            CourseProgress.objects.filter(user=user, course=course)
            .values_list("last_lesson_id", flat=True)
            .first()
        )
        target = next((x for x in lessons if x.id == last_id and not x.locked_reason), None)
        target = target or first_open_lesson(states)
    if target is not None:
        return redirect(target.url)
    return render(request, "learning/course_empty.html", {"course": course, "modules": states})


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    summary = progress_summary(request.user)
    learning = [item for item in summary if item["completed_at"] is None]
    done = [item for item in summary if item["completed_at"] is not None]
    page = Paginator(learning, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "learning/dashboard.html",
        {
            "page": page,
            "completed_courses": done,
            "due": upcoming_due(summary),
            "announcements": recent_announcements([item["course_id"] for item in summary]),
            "has_courses": bool(summary),
        },
    )


ROSTER_COLUMNS = (
    ("name", gettext_lazy("Learner")),
    ("cohort", gettext_lazy("Cohort")),
    ("enrolled", gettext_lazy("Enrolled")),
    ("percent", gettext_lazy("Progress")),
    ("lessons", gettext_lazy("Lessons completed")),
    ("activity", gettext_lazy("Last activity")),
    ("completed", gettext_lazy("Completed")),
)


def _require_roster(request: HttpRequest, public_id: str) -> Course:
    course = _visible_course(request, public_id)
    if not has_course_perm(request.user, course, "course.view_learners"):
        raise PermissionDenied(_("Seeing learners' progress needs course.view_learners here."))
    return course


@login_required
@require_safe
def roster_page(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _require_roster(request, public_id)
    key, descending = roster_sort(request.GET.get("sort", ""))
    cohort = request.GET.get("cohort", "")
    page = Paginator(
        roster(course, sort=request.GET.get("sort", ""), cohort=cohort), ROSTER_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    sees_all = sees_withheld_directory(request.user)
    for membership in page.object_list:
        membership.listed = listed(
            membership.user,
            opted_out=membership.directory_opt_out,
            viewer_sees_all=sees_all,
        )
    record_records_view(viewer=request.user, course=course, records="roster", page=page.number)
    params = request.GET.copy()
    params.pop("page", None)
    columns = [
        {
            "key": column,
            "label": label,
            "sorted": column == key,
            "descending": column == key and descending,
            "next": f"-{column}" if column == key and not descending else column,
        }
        for column, label in ROSTER_COLUMNS
    ]
    return render(
        request,
        "learning/roster.html",
        {
            "course": course,
            "page": page,
            "columns": columns,
            "sort": f"-{key}" if descending else key,
            "cohort": cohort,
            "cohorts": list(course.cohorts.only("public_id", "name")),
            "required": required_lesson_ids(course.pk).count(),
            "can_export": has_course_perm(request.user, course, "export.run"),
            "withheld_label": _(WITHHELD),
            "querystring": params.urlencode(),
        },
    )


@login_required
@require_safe
def roster_export(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The roster as CSV: needs course.view_learners and export.run, and a recent MFA
    check (sensitive), and is audited."""
    course = _require_roster(request, public_id)
    if not has_course_perm(request.user, course, "export.run"):
        raise PermissionDenied(_("Exporting needs the export.run permission."))
    return _roster_export(request, course=course)


@sensitive_action
def _roster_export(request: HttpRequest, *, course: Course) -> HttpResponseBase:
    lines, _count = roster_csv(
        actor=request.user,
        course=course,
        sort=request.GET.get("sort", ""),
        cohort=request.GET.get("cohort", ""),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        content_disposition_header(True, roster_filename(course)) or ""
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def directory_preference(request: HttpRequest) -> HttpResponse:
    """A learner's FERPA directory opt-out: whether their name and email may be listed."""
    user = request.user
    if request.method == "POST":
        choice = request.POST.get("directory")
        if choice not in ("listed", "withheld"):
            return render(
                request,
                "learning/directory.html",
                {"opted_out": opted_out(user), "error": _("Choose one of the two options.")},
                status=400,
            )
        if directory_opt_out_set(user=user, opted_out=choice == "withheld"):
            messages.success(
                request,
                _("Your directory information is now withheld.")
                if choice == "withheld"
                else _("Your directory information is listed again."),
            )
        return redirect("learning:directory")
    return render(request, "learning/directory.html", {"opted_out": opted_out(user)})
