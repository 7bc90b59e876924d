"""Teach pages: the courses I can edit, course settings, the outline editor, module and
lesson forms, uploads and the lesson preview. Thin: the services hold every rule.

Everything needs ``course.edit`` in the course (a course's instructors, administrators);
creating a course needs the ``course.create`` site permission. Courses a person cannot
see answer 404, seen but not editable 403. Reordering works as plain POST forms, and with
htmx the outline is swapped in place with focus kept on the moved item's button.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from syllabus.accounts.permissions import acting_user, has_site_perm, site_permissions
from syllabus.core.forms import add_service_errors
from syllabus.courses import services, uploads
from syllabus.courses.forms_authoring import (
    CopyForm,
    CourseNewForm,
    CourseSettingsForm,
    LessonForm,
    LessonNewForm,
    ModuleForm,
    UploadForm,
    course_settings_initial,
    lesson_initial,
)
from syllabus.courses.media import MEDIA_FIELDS, lesson_media_response
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.courses.permissions import courses_visible_to, has_course_perm
from syllabus.courses.templatetags.authoring_tags import can_teach, editing_roles

PAGE_SIZE = 25
UPLOAD_LABELS = {
    "video": gettext_lazy("Video file"),
    "captions": gettext_lazy("Captions (WebVTT)"),
    "file": gettext_lazy("Document"),
}
# "Remove the video file of “{title}”?": one whole sentence per file, for translators.
REMOVE_HEADINGS = {
    "video": gettext_lazy("Remove the video file of “%(title)s”?"),
    "captions": gettext_lazy("Remove the captions (WebVTT) of “%(title)s”?"),
    "file": gettext_lazy("Remove the document of “%(title)s”?"),
}


# --- Lookups --------------------------------------------------------------------------------


def _require_edit(request: HttpRequest, course: Course) -> None:
    if not has_course_perm(request.user, course, "course.edit"):
        raise PermissionDenied(_("Editing this course needs the course.edit permission."))


def _course(request: HttpRequest, public_id: str) -> Course:
    course = get_object_or_404(
        Course.objects.filter(courses_visible_to(request.user)).select_related("category"),
        public_id=public_id,
    )
    _require_edit(request, course)
    return course


def _module(request: HttpRequest, public_id: str) -> Module:
    module = get_object_or_404(Module.objects.select_related("course"), public_id=public_id)
    if not Course.objects.filter(courses_visible_to(request.user), pk=module.course_id).exists():
        raise Http404
    _require_edit(request, module.course)
    return module


def _lesson(request: HttpRequest, public_id: str) -> Lesson:
    lesson = get_object_or_404(
        Lesson.objects.select_related("course", "module", "prerequisite"), public_id=public_id
    )
    if not Course.objects.filter(courses_visible_to(request.user), pk=lesson.course_id).exists():
        raise Http404
    _require_edit(request, lesson.course)
    return lesson


def _message(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this.")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _editable_courses(user: Any) -> QuerySet[Course]:
    courses = Course.objects.all()
    if "course.edit" not in site_permissions(user):
        courses = courses.filter(
            pk__in=CourseMembership.objects.filter(user=user, role__in=editing_roles()).values(
                "course_id"
            )
        )
    # One subquery per count: joining modules, lessons and memberships at once would
    # multiply rows (modules x lessons x learners) on big courses.
    return courses.annotate(
        module_count=_count(Module.objects.all()),
        lesson_count=_count(Lesson.objects.all()),
        learner_count=_count(CourseMembership.objects.filter(role__slug="learner")),
    ).order_by("title", "pk")


def _count(rows: QuerySet[Any]) -> Coalesce:
    per_course = (
        rows.filter(course=OuterRef("pk"))
        .order_by()
        .values("course")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(per_course), 0)


# --- Teach: my courses, new course -------------------------------------------------------


@login_required
@require_safe
def teach(request: HttpRequest) -> HttpResponse:
    if not can_teach(request.user):
        raise PermissionDenied(_("Teaching pages are for instructors."))
    status = request.GET.get("status", "")
    courses = _editable_courses(request.user)
    if status in Course.Status.values:
        courses = courses.filter(status=status)
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/teach/teach.html",
        {
            "page": page,
            "status": status,
            "statuses": Course.Status.choices,
            "can_create": has_site_perm(request.user, "course.create"),
            "querystring": urlencode({"status": status}) if status else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest) -> HttpResponse:
    if not has_site_perm(request.user, "course.create"):
        raise PermissionDenied(_("Creating courses needs the course.create permission."))
    form = CourseNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                actor=acting_user(request),
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” is created as a draft. Add a module next.")
                % {"title": course.title},
            )
            return redirect("courses:outline", public_id=course.public_id)
    return render(request, "courses/teach/course_new.html", {"form": form})


# --- Course settings and status -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    form = CourseSettingsForm(
        request.POST or None,
        request.FILES or None,
        course=course,
        user=request.user,
        initial=course_settings_initial(course),
    )
    if request.method == "POST" and form.is_valid():
        actor = acting_user(request)
        try:
            image = form.cleaned_data.get("image")
            changes = form.changes()
            if form.cleaned_data.get("remove_image") and not image:
                course = services.course_image_clear(actor=actor, course=course)
                changes.pop("image_alt", None)
            elif image:
                # Image first: its alt text is checked with it, and a refused image
                # leaves the other settings unsaved too (the form comes back whole).
                services.course_image_set(
                    actor=actor,
                    course=course,
                    upload=image,
                    alt=changes["image_alt"],
                    decorative=changes["image_decorative"],
                )
            course = services.course_update(actor=actor, course=course, changes=changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("courses:edit", public_id=course.public_id)
    return render(
        request,
        "courses/teach/course_edit.html",
        {
            "course": course,
            "form": form,
            "blockers": services.publish_blockers(course)
            if course.status != Course.Status.PUBLISHED
            else [],
        },
    )


@login_required
@require_POST
def course_publish(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    try:
        services.course_publish(actor=acting_user(request), course=course)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request, _("“%(title)s” is published: learners can find it.") % {"title": course.title}
        )
    return redirect("courses:edit", public_id=public_id)


def _confirmed_course_action(
    request: HttpRequest,
    public_id: str,
    *,
    action: Callable[..., Course],
    heading: str,
    explanation: str,
    button: str,
    done: str,
) -> HttpResponse:
    course = _course(request, public_id)
    if request.method == "GET":
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "heading": heading.format(title=course.title),
                "explanation": explanation,
                "button": button,
                "cancel": reverse("courses:edit", args=[public_id]),
                "danger": True,
            },
        )
    try:
        action(actor=acting_user(request), course=course)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, done.format(title=course.title))
    return redirect("courses:edit", public_id=public_id)


@login_required
@require_http_methods(["GET", "POST"])
def course_unpublish(request: HttpRequest, public_id: str) -> HttpResponse:
    return _confirmed_course_action(
        request,
        public_id,
        action=services.course_unpublish,
        heading=_("Unpublish “{title}”?"),
        explanation=(
            _(
                "The course leaves the catalog and becomes a draft. Enrolled learners keep "
                "their records; you can publish it again at any time."
            )
        ),
        button=_("Unpublish"),
        done=_("“{title}” is a draft again."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_archive(request: HttpRequest, public_id: str) -> HttpResponse:
    return _confirmed_course_action(
        request,
        public_id,
        action=services.course_archive,
        heading=_("Archive “{title}”?"),
        explanation=(
            _(
                "An archived course leaves the catalog and takes no new enrolments. Its "
                "content, learners and records stay, and you can publish it again later."
            )
        ),
        button=_("Archive"),
        done=_("“{title}” is archived."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def course_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    if request.method == "GET":
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "heading": _("Delete “%(title)s”?") % {"title": course.title},
                "explanation": (
                    _(
                        "The course, its modules, lessons and files are deleted. This cannot be "
                        "undone. Only a draft without learners can be deleted; archive a course "
                        "that has learners instead."
                    )
                ),
                "button": _("Delete the course"),
                "cancel": reverse("courses:edit", args=[public_id]),
                "danger": True,
            },
        )
    try:
        services.course_delete(actor=acting_user(request), course=course)
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect("courses:edit", public_id=public_id)
    messages.success(request, _("“%(title)s” is deleted.") % {"title": course.title})
    return redirect("courses:teach")


@login_required
@require_http_methods(["GET", "POST"])
def course_copy(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    form = CopyForm(request.POST or None, initial={"title": f"{course.title[:193]} (copy)"})
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.course_copy(
                actor=acting_user(request), course=course, title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "“%(title)s” is a draft copy with the same modules and lessons; "
                    "no learners were copied."
                )
                % {"title": copy.title},
            )
            return redirect("courses:edit", public_id=copy.public_id)
    return render(request, "courses/teach/course_copy.html", {"course": course, "form": form})


# --- Outline --------------------------------------------------------------------------------


def _outline_context(course: Course, focus: str = "") -> dict[str, Any]:
    modules = list(
        course.modules.order_by("position", "pk").prefetch_related("lessons__prerequisite")
    )
    for module in modules:
        module.ordered_lessons = sorted(module.lessons.all(), key=lambda x: (x.position, x.pk))  # type: ignore[attr-defined]
        for lesson in module.ordered_lessons:  # type: ignore[attr-defined]
            lesson.blockers = services.lesson_publish_blockers(lesson)
    return {"course": course, "modules": modules, "focus": focus}


@login_required
@require_safe
def outline(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    context = _outline_context(course, request.GET.get("focus", "")[:80])
    return render(request, "courses/teach/outline.html", context)


def _outline_response(
    request: HttpRequest, course: Course, focus: str, announce: str = ""
) -> HttpResponseBase:
    """With htmx: the outline partial, and ``announce`` for the polite live region (an
    out-of-band swap, so screen readers hear what changed). Without: back to the page."""
    if _is_htmx(request):
        context = {**_outline_context(course, focus), "htmx": True, "announce": announce}
        return render(request, "courses/teach/outline.html#outline", context)
    url = reverse("courses:outline", args=[course.public_id])
    return redirect(f"{url}?{urlencode({'focus': focus})}#{focus.rsplit('-', 1)[0]}")


@login_required
@require_POST
def module_move(request: HttpRequest, public_id: str) -> HttpResponseBase:
    module = _module(request, public_id)
    direction = request.POST.get("direction", "")
    announce = ""
    try:
        moved = services.module_move(actor=acting_user(request), module=module, direction=direction)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        total = Module.objects.filter(course_id=module.course_id).count()
        template = (
            _("Module “%(title)s” moved up: %(position)s of %(total)s.")
            if direction == services.UP
            else _("Module “%(title)s” moved down: %(position)s of %(total)s.")
        )
        announce = template % {"title": moved.title, "position": moved.position + 1, "total": total}
    return _outline_response(
        request, module.course, f"module-{module.public_id}-{direction}", announce
    )


@login_required
@require_POST
def lesson_move(request: HttpRequest, public_id: str) -> HttpResponseBase:
    lesson = _lesson(request, public_id)
    direction = request.POST.get("direction", "")
    announce = ""
    try:
        moved = services.lesson_move(actor=acting_user(request), lesson=lesson, direction=direction)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        total = Lesson.objects.filter(module_id=lesson.module_id).count()
        template = (
            _("Lesson “%(title)s” moved up: %(position)s of %(total)s.")
            if direction == services.UP
            else _("Lesson “%(title)s” moved down: %(position)s of %(total)s.")
        )
        announce = template % {"title": moved.title, "position": moved.position + 1, "total": total}
    return _outline_response(
        request, lesson.course, f"lesson-{lesson.public_id}-{direction}", announce
    )


@login_required
@require_POST
def module_order(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """Drag and drop of modules (authoring.js): the whole new order in ``order``."""
    course = _course(request, public_id)
    order = request.POST.getlist("order")
    try:
        services.module_reorder(actor=acting_user(request), course=course, order=order)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    moved = request.POST.get("moved", "")[:40]
    return _outline_response(request, course, f"module-{moved}-drag")


@login_required
@require_POST
def lesson_order(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """Drag and drop of lessons within a module (authoring.js)."""
    module = _module(request, public_id)
    order = request.POST.getlist("order")
    try:
        services.lesson_reorder(actor=acting_user(request), module=module, order=order)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    moved = request.POST.get("moved", "")[:40]
    return _outline_response(request, module.course, f"lesson-{moved}-drag")


@login_required
@require_POST
def module_publish(request: HttpRequest, public_id: str) -> HttpResponseBase:
    module = _module(request, public_id)
    published = request.POST.get("published") == "1"
    try:
        services.module_set_published(
            actor=acting_user(request), module=module, published=published
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return _outline_response(request, module.course, f"module-{module.public_id}-publish")


@login_required
@require_POST
def lesson_publish(request: HttpRequest, public_id: str) -> HttpResponseBase:
    lesson = _lesson(request, public_id)
    published = request.POST.get("published") == "1"
    try:
        services.lesson_set_published(
            actor=acting_user(request), lesson=lesson, published=published
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    return _outline_response(request, lesson.course, f"lesson-{lesson.public_id}-publish")


# --- Modules --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def module_new(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_create(
                actor=acting_user(request), course=course, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Module “%(title)s” added. Add its first lesson.") % {"title": module.title},
            )
            return redirect("courses:lesson_new", public_id=module.public_id)
    return render(
        request, "courses/teach/module_form.html", {"course": course, "form": form, "module": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    module = _module(request, public_id)
    form = ModuleForm(
        request.POST or None,
        initial={f: getattr(module, f) for f in ("title", "summary", "available_from")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.module_update(
                actor=acting_user(request), module=module, changes=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Module saved."))
            return redirect("courses:outline", public_id=module.course.public_id)
    return render(
        request,
        "courses/teach/module_form.html",
        {"course": module.course, "form": form, "module": module},
    )


@login_required
@require_http_methods(["GET", "POST"])
def module_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    module = _module(request, public_id)
    course = module.course
    if request.method == "GET":
        count = module.lessons.count()
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "heading": _("Delete the module “%(title)s”?") % {"title": module.title},
                "explanation": (
                    ngettext(
                        "Its %(count)s lesson, their files and learners' progress in them are "
                        "deleted too. This cannot be undone.",
                        "Its %(count)s lessons, their files and learners' progress in them are "
                        "deleted too. This cannot be undone.",
                        count,
                    )
                    % {"count": count}
                ),
                "button": _("Delete module"),
                "cancel": reverse("courses:outline", args=[course.public_id]),
                "danger": True,
            },
        )
    try:
        services.module_delete(actor=acting_user(request), module=module)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Module “%(title)s” deleted.") % {"title": module.title})
    return redirect("courses:outline", public_id=course.public_id)


# --- Lessons --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def lesson_new(request: HttpRequest, public_id: str) -> HttpResponse:
    module = _module(request, public_id)
    form = LessonNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lesson = services.lesson_create(
                actor=acting_user(request),
                module=module,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Lesson “%(title)s” added as a draft.") % {"title": lesson.title}
            )
            return redirect("courses:lesson_edit", public_id=lesson.public_id)
    return render(
        request,
        "courses/teach/lesson_new.html",
        {"course": module.course, "module": module, "form": form},
    )


def _upload_forms(lesson: Lesson) -> list[tuple[str, UploadForm]]:
    fields = {"video": ("video", "captions"), "file": ("file",)}.get(lesson.kind, ())
    return [
        (
            field,
            UploadForm(
                kind=services.MEDIA_UPLOAD_KIND[field], label=UPLOAD_LABELS[field], prefix=field
            ),
        )
        for field in fields
    ]


@login_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    lesson = _lesson(request, public_id)
    form = LessonForm(request.POST or None, lesson=lesson, initial=lesson_initial(lesson))
    if request.method == "POST" and form.is_valid():
        try:
            services.lesson_update(
                actor=acting_user(request), lesson=lesson, changes=form.changes()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Lesson saved."))
            return redirect("courses:lesson_edit", public_id=lesson.public_id)
    return render(
        request,
        "courses/teach/lesson_edit.html",
        {
            "course": lesson.course,
            "lesson": lesson,
            "form": form,
            "uploads": _upload_forms(lesson),
            "blockers": services.lesson_publish_blockers(lesson),
        },
    )


@login_required
@require_POST
def lesson_upload(request: HttpRequest, public_id: str, field: str) -> HttpResponse:
    lesson = _lesson(request, public_id)
    if field not in MEDIA_FIELDS:
        raise Http404
    form = UploadForm(
        request.POST,
        request.FILES,
        kind=services.MEDIA_UPLOAD_KIND[field],
        label=UPLOAD_LABELS[field],
        prefix=field,
    )
    if form.is_valid():
        try:
            services.lesson_upload(
                actor=acting_user(request),
                lesson=lesson,
                field=field,
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(file)s uploaded.") % {"file": UPLOAD_LABELS[field]})
            return redirect("courses:lesson_edit", public_id=lesson.public_id)
    forms = [(f, form if f == field else other) for f, other in _upload_forms(lesson)]
    return render(
        request,
        "courses/teach/lesson_edit.html",
        {
            "course": lesson.course,
            "lesson": lesson,
            "form": LessonForm(lesson=lesson, initial=lesson_initial(lesson)),
            "uploads": forms,
            "blockers": services.lesson_publish_blockers(lesson),
        },
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lesson_media_remove(request: HttpRequest, public_id: str, field: str) -> HttpResponse:
    lesson = _lesson(request, public_id)
    if field not in MEDIA_FIELDS or not getattr(lesson, field):
        raise Http404
    back = reverse("courses:lesson_edit", args=[lesson.public_id])
    if request.method == "GET":
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "heading": REMOVE_HEADINGS[field] % {"title": lesson.title},
                "explanation": _("The stored file is deleted."),
                "button": _("Remove"),
                "cancel": back,
                "danger": True,
            },
        )
    try:
        services.lesson_media_clear(actor=acting_user(request), lesson=lesson, field=field)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("%(file)s removed.") % {"file": UPLOAD_LABELS[field]})
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def lesson_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    lesson = _lesson(request, public_id)
    course = lesson.course
    if request.method == "GET":
        return render(
            request,
            "courses/teach/confirm.html",
            {
                "heading": _("Delete the lesson “%(title)s”?") % {"title": lesson.title},
                "explanation": (
                    _(
                        "Its files and learners' progress in it are deleted too. "
                        "This cannot be undone."
                    )
                ),
                "button": _("Delete lesson"),
                "cancel": reverse("courses:outline", args=[course.public_id]),
                "danger": True,
            },
        )
    try:
        services.lesson_delete(actor=acting_user(request), lesson=lesson)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Lesson “%(title)s” deleted.") % {"title": lesson.title})
    return redirect("courses:outline", public_id=course.public_id)


@login_required
@require_safe
def lesson_preview(request: HttpRequest, public_id: str) -> HttpResponse:
    lesson = _lesson(request, public_id)
    return render(
        request,
        "courses/teach/lesson_preview.html",
        {
            "course": lesson.course,
            "lesson": lesson,
            "blockers": services.lesson_publish_blockers(lesson),
            "file_limit": uploads.describe_limit(uploads.FILE),
        },
    )


@login_required
@require_safe
def lesson_media(request: HttpRequest, public_id: str, field: str) -> HttpResponseBase:
    """An editor's preview of a lesson's video, captions or document (Range supported)."""
    return lesson_media_response(request, _lesson(request, public_id), field)
