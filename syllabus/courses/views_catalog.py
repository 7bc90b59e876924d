"""Catalog pages: the course catalog, a course's page and image, and categories."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from syllabus.accounts.permissions import acting_user, has_site_perm, require_site_perm
from syllabus.core.forms import add_service_errors
from syllabus.core.ranged import ranged_file_response
from syllabus.courses.forms_catalog import CatalogFilterForm, CategoryForm
from syllabus.courses.models import Category, Course, Lesson
from syllabus.courses.permissions import has_course_perm
from syllabus.courses.selectors import (
    catalog_choices,
    catalog_page,
    course_meta,
    course_outline,
    published_outline,
    visible_course,
)
from syllabus.courses.services_catalog import (
    can_manage_categories,
    category_create,
    category_delete,
    category_update,
)

CATEGORY_PAGE_SIZE = 50


@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    """Published courses: search, filters, pages. Works without JavaScript; with htmx
    the results update as the filters change."""
    choices = catalog_choices()
    form = CatalogFilterForm(request.GET or None, choices=choices)
    valid = form.is_valid() if form.is_bound else True
    filters = form.filters()
    page = catalog_page(request.user, filters, request.GET.get("page"))
    # Page links carry the valid filters only (an invalid one is dropped, not repeated).
    query = {
        "q": filters.q,
        "category": filters.category,
        "level": filters.level,
        "tag": filters.tag,
        "has_places": "on" if filters.has_places else "",
        "sort": filters.sort,
    }
    query = {key: value for key, value in query.items() if value}
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "choices": choices,
        "querystring": urlencode(query),
        "filtered": bool(query),
        "can_create": has_site_perm(request.user, "course.create"),
        "can_manage_categories": can_manage_categories(request.user),
        "now": timezone.now(),
    }
    template = "courses/catalog.html"
    live = bool(request.headers.get("HX-Request")) and (
        request.headers.get("HX-Target") == "catalog-results"
    )
    if live:
        template = "courses/catalog.html#results"
        context["live_update"] = True
    response = render(request, template, context, status=200 if valid else 400)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_safe
def course_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """A course's page: what it is, who teaches it, its outline, and the enrol panel.
    Drafts answer 404 to anyone who may not see them."""
    course = visible_course(request.user, public_id)
    if course is None:
        raise Http404(_("No such course."))
    meta = course_meta(course.pk)
    if meta is None:  # deleted between the two reads
        raise Http404(_("No such course."))
    can_edit = has_course_perm(request.user, course, "course.edit")
    outline = course_outline(course)
    shown = _outline_for_page(outline if can_edit else published_outline(outline))
    prerequisites = list(
        Course.objects.filter(pk__in=meta["prerequisite_ids"])
        .order_by("title")
        .values("public_id", "title", "status")
    )
    lesson_count = sum(len(m["lessons"]) for m in shown)
    minutes = sum(lesson["minutes"] for m in shown for lesson in m["lessons"])
    context = {
        "course": course,
        "meta": meta,
        "outline": shown,
        "lesson_count": lesson_count,
        "outline_minutes": minutes,
        "prerequisites": prerequisites,
        "can_edit": can_edit,
        "can_follow": has_course_perm(request.user, course, "course.view_learners"),
        "now": timezone.now(),
        "is_member": can_edit or _is_member(request.user, course),
    }
    response = render(request, "courses/course_detail.html", context)
    # Pages differ per person (enrol panel): never in a shared cache.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _outline_for_page(outline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outline with what the page shows per lesson (new dicts: the cached outline is
    shared). A lesson's prerequisite is named even when it is hidden from the reader."""
    now = timezone.now()
    titles = {lesson["id"]: lesson["title"] for m in outline for lesson in m["lessons"]}
    kinds = dict(Lesson.Kind.choices)
    result = []
    for module in outline:
        lessons = []
        for lesson in module["lessons"]:
            seconds = lesson["video_duration_seconds"] or 0
            video_minutes = (seconds + 59) // 60
            lessons.append(
                {
                    **lesson,
                    "kind_label": kinds.get(lesson["kind"], lesson["kind"]),
                    "video_minutes": video_minutes,
                    "minutes": video_minutes or lesson["estimated_minutes"] or 0,
                    "opens_later": bool(
                        lesson["available_from"] and lesson["available_from"] > now
                    ),
                    "prerequisite_title": titles.get(lesson["prerequisite_id"], ""),
                }
            )
        opens_later = bool(module["available_from"] and module["available_from"] > now)
        result.append({**module, "lessons": lessons, "opens_later": opens_later})
    return result


def _is_member(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return course.memberships.filter(user=user).exists()


@require_safe
def course_image(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """The course's image, for those who may see the course. Published courses' images
    may be cached by browsers and proxies; drafts' only privately."""
    course = visible_course(request.user, public_id)
    if course is None or not course.image:
        raise Http404(_("No image."))
    content_type = mimetypes.guess_type(course.image.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        content_type = "application/octet-stream"  # never let the browser run a file
    try:
        response = ranged_file_response(request, default_storage, course.image.name, content_type)
    except FileNotFoundError:
        raise Http404(_("No image.")) from None
    if course.status == Course.Status.PUBLISHED:
        # The page links the image with ?v=<version>: a new image gets a new URL.
        patch_cache_control(response, public=True, max_age=86400)
    else:
        patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Categories (administrators) --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_site_perm("course.edit")
def categories(request: HttpRequest) -> HttpResponse:
    """Every category with its number of courses, and a form to add one."""
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            category = category_create(actor=acting_user(request), **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Category %(name)s added.") % {"name": category.name})
            return redirect("courses:categories")
    listed = Category.objects.annotate(course_total=Count("courses")).order_by("position", "name")
    page = Paginator(listed, CATEGORY_PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "courses/categories.html", {"page": page, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@require_site_perm("course.edit")
def category_edit(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    initial = {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "position": category.position,
    }
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = category_update(
                actor=acting_user(request), category=category, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Category %(name)s saved.") % {"name": saved.name})
            return redirect("courses:categories")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "courses/categories_form.html",
        {"form": form, "category": category},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@require_site_perm("course.edit")
def category_delete_view(request: HttpRequest, slug: str) -> HttpResponse:
    """GET asks for confirmation; POST deletes (refused while courses use the category)."""
    category = get_object_or_404(Category, slug=slug)
    course_total = Course.objects.filter(category=category).count()
    if request.method == "POST":
        try:
            category_delete(actor=acting_user(request), category=category)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("courses:category_delete", slug=slug)
        messages.success(request, _("Category %(name)s deleted.") % {"name": category.name})
        return redirect("courses:categories")
    return render(
        request,
        "courses/categories_confirm_delete.html",
        {"category": category, "course_total": course_total},
    )


def _form_error(form: CategoryForm, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError):
        add_service_errors(form, exc)
    else:
        form.add_error(None, str(exc))
