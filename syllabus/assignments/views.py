"""Assignment pages: settings and rubric (course editors), handing in (learners), the
grading queue, an assignment's submissions, grading and extensions (graders), and
submitted files (the learner who handed them in, and graders).

Courses a person may not see answer 404 (drafts are never revealed); seen but not
allowed, 403. A refused hand-in answers 400 (413 for a file too large) with the form and
its errors, and stores nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from syllabus.accounts.models import User
from syllabus.accounts.permissions import acting_user
from syllabus.assignments import services
from syllabus.assignments.forms import (
    ExtensionForm,
    GradeForm,
    SettingsForm,
    SubmitForm,
    grade_initial,
    settings_initial,
)
from syllabus.assignments.models import Assignment, Extension, Submission, SubmissionFile
from syllabus.assignments.rubric import rubric_total
from syllabus.assignments.selectors import (
    QUEUE_FILTERS,
    UNGRADED,
    assignment_submissions,
    extension_list,
    grading_queue,
    learner_view,
    policy_words,
    submission_versions,
)
from syllabus.core.forms import add_service_errors
from syllabus.core.ranged import ranged_file_response
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.learning.access import LEARNER_ROLE, lesson_access
from syllabus.learning.records import record_records_view

PAGE_SIZE = 50


# --- Lookups --------------------------------------------------------------------------------


def _assignment(request: HttpRequest, public_id: str) -> Assignment:
    """The assignment of the lesson ``public_id`` in a course the person may see."""
    assignment = (
        Assignment.objects.select_related("lesson", "lesson__course", "lesson__module", "course")
        .filter(lesson__public_id=public_id)
        .first()
    )
    if assignment is None or not _visible(request, assignment.course_id):
        raise Http404
    return assignment


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one: an empty form is still submitted)."""
    return request.POST if request.method == "POST" else None


def _visible(request: HttpRequest, course_id: int) -> bool:
    return Course.objects.filter(courses_visible_to(request.user), pk=course_id).exists()


def _require_grader(request: HttpRequest, assignment: Assignment) -> None:
    if not services.can_grade(request.user, assignment):
        raise PermissionDenied(_("Grading needs the grade.edit permission in this course."))


def _submission(request: HttpRequest, public_id: str) -> Submission:
    submission = (
        Submission.objects.select_related(
            "user", "assignment", "assignment__lesson", "assignment__course", "graded_by"
        )
        .filter(public_id=public_id)
        .first()
    )
    if submission is None or not _visible(request, submission.course_id):
        raise Http404
    return submission


# --- Settings and rubric (course.edit) ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = _assignment(request, public_id)
    if not has_course_perm(request.user, assignment.course, "course.edit"):
        raise PermissionDenied(_("Changing an assignment needs the course.edit permission."))
    form = SettingsForm(
        _posted(request), assignment=assignment, initial=settings_initial(assignment)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assignment_update(
                    actor=acting_user(request),
                    assignment=assignment,
                    changes=form.changes(),
                    rubric=form.cleaned_data["rubric"],
                    due_at=form.cleaned_data["due_at"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Assignment saved."))
                return redirect("assignments:edit", public_id=public_id)
        status = 400
    assignment.refresh_from_db()
    return render(
        request,
        "assignments/edit.html",
        {
            "assignment": assignment,
            "lesson": assignment.lesson,
            "course": assignment.course,
            "form": form,
            "problems": services.publish_problems(assignment),
            "rubric_total": rubric_total(assignment.rubric),
        },
        status=status,
    )


# --- Handing in (learners) ----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = _assignment(request, public_id)
    lesson = assignment.lesson
    access = lesson_access(request.user, lesson)
    if access.hidden:
        raise Http404
    if access.staff:
        raise PermissionDenied(_("Course staff preview assignments; only learners hand work in."))
    if not access.allowed:
        raise PermissionDenied(access.reason)
    view = learner_view(assignment, request.user)
    form = SubmitForm(
        _posted(request), request.FILES if request.method == "POST" else None, assignment=assignment
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                submission = services.submission_create(
                    user=acting_user(request),
                    assignment=assignment,
                    text=form.cleaned_data.get("text", ""),
                    files=form.cleaned_data.get("attachments", []),
                )
            except services.SubmissionRefused as exc:
                status = exc.status
                on_text = exc.code in services.TEXT_CODES
                field = "text" if on_text else "attachments"
                form.add_error(field if field in form.fields else None, exc.messages)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Version %(version)s handed in. Your teachers will grade it.")
                    % {"version": submission.version},
                )
                return redirect("learning:lesson", public_id=lesson.public_id)
    return render(
        request,
        "assignments/submit.html",
        {
            "assignment": assignment,
            "lesson": lesson,
            "course": assignment.course,
            "view": view,
            "form": form,
        },
        status=status,
    )


# --- Files (the learner who handed them in, graders) ---------------------------------------


@login_required
@require_safe
def file(request: HttpRequest, public_id: str) -> HttpResponseBase:
    stored = (
        SubmissionFile.objects.select_related(
            "submission", "submission__assignment", "submission__assignment__course"
        )
        .filter(public_id=public_id)
        .first()
    )
    if stored is None or not _visible(request, stored.submission.course_id):
        raise Http404
    if not services.can_view_submission(request.user, stored.submission):
        raise PermissionDenied(
            _("Only the learner who handed this in and the graders may open it.")
        )
    record_records_view(
        viewer=request.user,
        course=stored.submission.assignment.course,
        records="submission_file",
        learner=stored.submission.user,
        file=stored.public_id,
    )
    return submission_file_response(request, stored)


def submission_file_response(request: HttpRequest, stored: SubmissionFile) -> HttpResponseBase:
    """The file as an attachment, sandboxed, never cached by shared caches."""
    if not default_storage.exists(stored.file.name):
        raise Http404(_("The file is missing from storage."))
    response = ranged_file_response(
        request,
        default_storage,
        stored.file.name,
        stored.content_type or "application/octet-stream",
        filename=stored.name,
        as_attachment=True,
    )
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- Grading (grade.edit) ------------------------------------------------------------------


@login_required
@require_safe
def queue(request: HttpRequest, public_id: str) -> HttpResponse:
    """Learners' latest work waiting across the course, oldest first."""
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    if not has_course_perm(request.user, course, "grade.edit"):
        raise PermissionDenied(_("The grading queue needs the grade.edit permission."))
    status = request.GET.get("status", UNGRADED)
    if status not in QUEUE_FILTERS:
        status = UNGRADED
    page = Paginator(grading_queue(course=course, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    record_records_view(viewer=request.user, course=course, records="grading_queue")
    return render(
        request,
        "assignments/queue.html",
        {
            "course": course,
            "page": page,
            "status": status,
            "status_label": QUEUE_FILTERS[status],
            "filters": QUEUE_FILTERS,
            "querystring": f"status={status}",
        },
    )


@login_required
@require_safe
def submissions(request: HttpRequest, public_id: str) -> HttpResponse:
    """Every learner's latest version of one assignment."""
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    page = Paginator(assignment_submissions(assignment=assignment), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    record_records_view(
        viewer=request.user,
        course=assignment.course,
        records="submissions",
        assignment=assignment.public_id,
    )
    learners = CourseMembership.objects.filter(
        course=assignment.course, role__slug=LEARNER_ROLE
    ).count()
    return render(
        request,
        "assignments/submissions.html",
        {
            "assignment": assignment,
            "lesson": assignment.lesson,
            "course": assignment.course,
            "page": page,
            "learners": learners,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def grade(request: HttpRequest, public_id: str) -> HttpResponse:
    submission = _submission(request, public_id)
    assignment = submission.assignment
    _require_grader(request, assignment)
    if request.method == "GET":
        record_records_view(
            viewer=request.user,
            course=assignment.course,
            records="submission",
            learner=submission.user,
            submission=submission.public_id,
        )
    form = GradeForm(_posted(request), assignment=assignment, initial=grade_initial(submission))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.submission_grade(
                    actor=acting_user(request),
                    submission=submission,
                    levels=form.levels() if assignment.rubric else None,
                    points=form.cleaned_data.get("points"),
                    adjustment=form.cleaned_data.get("adjustment") or 0,
                    feedback=form.cleaned_data["feedback"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                learner = submission.user.full_name or submission.user.email
                messages.success(
                    request,
                    _("Graded %(name)s's work; they have been notified.") % {"name": learner},
                )
                following = (
                    grading_queue(course=assignment.course)
                    .exclude(pk=submission.pk)
                    .values_list("public_id", flat=True)
                    .first()
                )
                if following and request.POST.get("next") == "queue":
                    return redirect("assignments:grade", public_id=following)
                return redirect("assignments:queue", public_id=assignment.course.public_id)
    versions = submission_versions(assignment=assignment, user=submission.user)
    shown = next((v for v in versions if v.pk == submission.pk), submission)
    extension = Extension.objects.filter(assignment=assignment, user=submission.user).first()
    return render(
        request,
        "assignments/grade.html",
        {
            "submission": shown,
            "assignment": assignment,
            "lesson": assignment.lesson,
            "course": assignment.course,
            "learner": submission.user,
            "versions": versions,
            "form": form,
            "extension": extension,
            "policy": policy_words(assignment, services.deadline(assignment, extension)),
        },
        status=status,
    )


# --- Extensions (grade.edit) ---------------------------------------------------------------


def _learner_choices(assignment: Assignment) -> list[tuple[str, str]]:
    members = (
        CourseMembership.objects.filter(course=assignment.course, role__slug=LEARNER_ROLE)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [
        (
            m.user.public_id,
            f"{m.user.full_name} ({m.user.email})" if m.user.full_name else m.user.email,
        )
        for m in members
    ]


@login_required
@require_http_methods(["GET", "POST"])
def extensions(request: HttpRequest, public_id: str) -> HttpResponse:
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    form = ExtensionForm(_posted(request), learners=_learner_choices(assignment))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            learner = User.objects.filter(public_id=form.cleaned_data["learner"]).first()
            try:
                services.extension_grant(
                    actor=acting_user(request),
                    assignment=assignment,
                    user=learner,
                    due_at=form.cleaned_data["due_at"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Extension granted."))
                return redirect("assignments:extensions", public_id=public_id)
    return render(
        request,
        "assignments/extensions.html",
        {
            "assignment": assignment,
            "lesson": assignment.lesson,
            "course": assignment.course,
            "extensions": list(extension_list(assignment=assignment)),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def extension_remove(request: HttpRequest, public_id: str, user_id: str) -> HttpResponse:
    assignment = _assignment(request, public_id)
    _require_grader(request, assignment)
    extension = (
        Extension.objects.select_related("user", "assignment")
        .filter(assignment=assignment, user__public_id=user_id)
        .first()
    )
    if extension is None:
        raise Http404
    back = reverse("assignments:extensions", args=[public_id])
    if request.method == "GET":
        who = extension.user.full_name or extension.user.email
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "course": assignment.course,
                "heading": _("Remove %(name)s's extension?") % {"name": who},
                "explanation": _("Their due date goes back to the assignment's."),
                "button": _("Remove extension"),
                "cancel": back,
                "danger": True,
            },
        )
    services.extension_remove(actor=acting_user(request), extension=extension)
    messages.success(request, _("Extension removed."))
    return redirect(back)


def panel_context(request: HttpRequest, lesson: Any, staff: bool) -> dict[str, Any]:
    """What the lesson page's assignment panel shows (see templatetags)."""
    from syllabus.assignments.selectors import assignment_for_lesson, staff_summary

    assignment = assignment_for_lesson(lesson)
    context: dict[str, Any] = {"assignment": assignment, "lesson": lesson, "staff": staff}
    if assignment is None:
        return context
    user = request.user
    if staff:
        context["summary"] = staff_summary(assignment)
        context["can_grade"] = services.can_grade(user, assignment)
        context["can_edit"] = has_course_perm(user, assignment.course, "course.edit")
        context["policy"] = policy_words(assignment, services.deadline(assignment, None))
    else:
        context["view"] = learner_view(assignment, user)
    return context
