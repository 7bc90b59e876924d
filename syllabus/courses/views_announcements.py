"""Course announcement pages: the list, one announcement, and (for the course's
instructors) new, edit and delete with a confirmation step."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.core.forms import add_service_errors
from syllabus.courses.forms_announcements import AnnouncementForm
from syllabus.courses.models import Announcement, Course
from syllabus.courses.permissions import courses_visible_to
from syllabus.courses.selectors_announcements import (
    announcement_get,
    announcement_list,
    can_post_announcements,
    can_read_announcements,
)
from syllabus.courses.services_announcements import (
    announcement_delete,
    announcement_post,
    announcement_update,
)

PAGE_SIZE = 10


def _course(request: HttpRequest, public_id: str) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404(_("No such course."))
    return course


def _readable(request: HttpRequest, public_id: str) -> Course:
    course = _course(request, public_id)
    if not can_read_announcements(request.user, course):
        raise PermissionDenied(_("Announcements are for the course's members and teachers."))
    return course


def _editable(request: HttpRequest, public_id: str) -> Course:
    course = _course(request, public_id)
    if not can_post_announcements(request.user, course):
        raise PermissionDenied(_("Only the course's instructors can post announcements."))
    return course


def _announcement(course: Course, announcement_id: str) -> Announcement:
    announcement = announcement_get(course=course, public_id=announcement_id)
    if announcement is None:
        raise Http404(_("No such announcement."))
    return announcement


@login_required
@require_GET
def announcements(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _readable(request, public_id)
    page = Paginator(announcement_list(course=course), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/announcements.html",
        {"course": course, "page": page, "can_post": can_post_announcements(request.user, course)},
    )


@login_required
@require_GET
def announcement_detail(request: HttpRequest, public_id: str, announcement_id: str) -> HttpResponse:
    course = _readable(request, public_id)
    return render(
        request,
        "courses/announcement_detail.html",
        {
            "course": course,
            "announcement": _announcement(course, announcement_id),
            "can_post": can_post_announcements(request.user, course),
        },
    )


def _form_page(
    request: HttpRequest, course: Course, form: AnnouncementForm, announcement: Any = None
) -> HttpResponse:
    return render(
        request,
        "courses/announcement_form.html",
        {"course": course, "form": form, "announcement": announcement},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def announcement_new(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            announcement_post(
                actor=request.user,
                course=course,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Announcement posted. The course's learners are notified."))
            return redirect("courses:announcements", public_id=course.public_id)
    return _form_page(request, course, form)


@login_required
@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, public_id: str, announcement_id: str) -> HttpResponse:
    course = _editable(request, public_id)
    announcement = _announcement(course, announcement_id)
    form = AnnouncementForm(
        request.POST or None, initial={"title": announcement.title, "body": announcement.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            announcement_update(
                actor=request.user,
                announcement=announcement,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Announcement saved. Learners are not notified again."))
            return redirect(
                "courses:announcement",
                public_id=course.public_id,
                announcement_id=announcement.public_id,
            )
    return _form_page(request, course, form, announcement)


@login_required
@require_http_methods(["GET", "POST"])
def announcement_delete_view(
    request: HttpRequest, public_id: str, announcement_id: str
) -> HttpResponse:
    course = _editable(request, public_id)
    announcement = _announcement(course, announcement_id)
    if request.method == "GET":  # the confirmation step
        return render(
            request,
            "courses/announcement_confirm_delete.html",
            {"course": course, "announcement": announcement},
        )
    announcement_delete(actor=request.user, announcement=announcement)
    messages.success(
        request, _("Announcement “%(title)s” deleted.") % {"title": announcement.title}
    )
    return redirect("courses:announcements", public_id=course.public_id)
