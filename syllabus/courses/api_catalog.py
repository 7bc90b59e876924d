"""API: the course catalog, course pages, categories and tags.

Reading the catalog needs no account (like the web catalog); a signed-in session or a
bearer token is used when present. Managing categories needs the ``course.edit`` site
permission (administrators); a category that still has courses cannot be deleted
(409, ``category_in_use``).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from syllabus.accounts.api import api_auth
from syllabus.accounts.tokens import api_has_perm
from syllabus.core.api_schemas import Error
from syllabus.core.response_cache import cache_api_response
from syllabus.courses.cache import catalog_audience, catalog_generation
from syllabus.courses.models import Category, Course, Tag
from syllabus.courses.selectors import (
    MAX_PAGE_SIZE,
    CatalogFilters,
    catalog_page,
    course_meta,
    course_outline,
    published_outline,
    visible_course,
)
from syllabus.courses.services_catalog import (
    DESCRIPTION_MAX,
    NAME_MAX,
    POSITION_MAX,
    SLUG_MAX,
    category_create,
    category_delete,
    category_update,
)

router = Router(tags=["catalog"])

SLUG = r"^[-a-zA-Z0-9_]*$"
SLUG_RE = re.compile(SLUG)


def _anyone(request: HttpRequest) -> Any:
    """Last in the auth list: a request with no credentials reads as anonymous."""
    return request.user if request.user.is_authenticated else AnonymousUser()


# Credentials when given (a bad token is still refused), else anonymous.
OPEN = [*api_auth, _anyone]


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}


# --- Schemas ----------------------------------------------------------------------------------


class CategoryRef(Schema):
    name: str
    slug: str


class TagRef(Schema):
    name: str
    slug: str


class PersonRef(Schema):
    public_id: str
    full_name: str


class CourseCard(Schema):
    public_id: str
    title: str
    summary: str
    category: CategoryRef | None
    tags: list[TagRef]
    level: str = Field(description="beginner, intermediate or advanced")
    estimated_hours: float | None
    image_url: str | None = Field(description="The course image, when it has one.")
    image_alt: str
    instructors: list[PersonRef]
    places_left: int | None = Field(description="Free places; empty when there is no limit.")
    url: str = Field(description="The course's web page.")


class CatalogPageOut(Schema):
    items: list[CourseCard]
    count: int = Field(description="Courses matching the filters, on all pages.")
    page: int
    pages: int
    page_size: int


class CatalogQuery(Schema):
    q: str = Field("", max_length=200, description="Words to search for; all must match.")
    category: str = Field("", max_length=100, pattern=SLUG, description="A category slug.")
    level: Course.Level | None = None
    tag: str = Field("", max_length=50, pattern=SLUG, description="A tag slug.")
    has_places: bool = Field(False, description="Only courses with free places.")
    sort: Literal["", "title", "newest"] = Field(
        "", description="Empty: best match first when searching, else by title."
    )
    page: int = Field(1, ge=1, description="Past the last page: the last page.")
    page_size: int = Field(settings.CATALOG_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class LessonOut(Schema):
    public_id: str
    title: str
    kind: str = Field(description="text, video, file, quiz or assignment")
    position: int
    is_required: bool
    available_from: datetime | None
    due_at: datetime | None
    estimated_minutes: int | None
    video_duration_seconds: int | None
    prerequisite: str | None = Field(
        description="public_id of the lesson to complete before this one opens."
    )


class ModuleOut(Schema):
    public_id: str
    title: str
    summary: str
    position: int
    available_from: datetime | None
    lessons: list[LessonOut]


class CourseRef(Schema):
    public_id: str
    title: str


class CourseDetailOut(CourseCard):
    description_html: str = Field(description="The description, rendered and sanitised.")
    status: str
    available_from: datetime | None
    available_until: datetime | None
    enrolment: str = Field(description="open, key or manual")
    capacity: int | None
    prerequisites: list[CourseRef] = Field(description="Courses to complete before enrolling.")
    outline: list[ModuleOut] = Field(description="Published modules and lessons, in order.")


class CategoryOut(Schema):
    name: str
    slug: str
    description: str
    position: int
    course_count: int = Field(description="Published courses in the category.")


class CategoryPageOut(Schema):
    items: list[CategoryOut]
    count: int
    page: int
    pages: int


class CategoryIn(Schema):
    name: str = Field(max_length=NAME_MAX, examples=["Data and analytics"])
    slug: str = Field("", max_length=SLUG_MAX, description="Made from the name when empty.")
    description: str = Field("", max_length=DESCRIPTION_MAX)
    position: int = Field(0, ge=0, le=POSITION_MAX)


class CategoryPatch(Schema):
    name: str | None = Field(None, max_length=NAME_MAX)
    slug: str | None = Field(None, max_length=SLUG_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    position: int | None = Field(None, ge=0, le=POSITION_MAX)


class TagOut(Schema):
    name: str
    slug: str
    course_count: int = Field(description="Published courses with the tag.")


class TagPageOut(Schema):
    items: list[TagOut]
    count: int
    page: int
    pages: int


class ListQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


# --- Helpers ----------------------------------------------------------------------------------


def _card(request: HttpRequest, meta: dict[str, Any]) -> dict[str, Any]:
    public_id = meta["public_id"]
    image_url = None
    if meta["has_image"]:
        image = reverse("courses:image", args=[public_id])
        image_url = request.build_absolute_uri(f"{image}?v={meta['image_version']}")
    return {
        **meta,
        "image_url": image_url,
        "url": request.build_absolute_uri(reverse("courses:detail", args=[public_id])),
    }


def _page_of(queryset: Any, page: int, page_size: int) -> tuple[list[Any], int, int, int]:
    count = queryset.count()
    pages = max(1, math.ceil(count / page_size))
    page = min(page, pages)
    start = (page - 1) * page_size
    return list(queryset[start : start + page_size]), count, page, pages


def _require_category_admin(request: HttpRequest) -> None:
    if not api_has_perm(request, "course.edit"):
        raise PermissionDenied(_("Managing categories needs the course.edit permission."))


def _category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first() if SLUG_RE.fullmatch(slug) else None
    if category is None:
        raise Http404
    return category


def _category_out(category: Category) -> dict[str, Any]:
    count = Course.objects.filter(category=category, status=Course.Status.PUBLISHED).count()
    return {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "position": category.position,
        "course_count": count,
    }


# --- Catalog ----------------------------------------------------------------------------------

# The same answer for everyone with the same view of the catalog; any course change retires
# every cached answer at once (the catalog generation).
cached_for_audience = cache_api_response(audience=catalog_audience, generation=catalog_generation)


@router.get(
    "/catalog",
    auth=OPEN,
    response={200: CatalogPageOut, 401: Error, 422: Error, 429: Error},
    summary="Search and filter the published courses (no account needed)",
    description=(
        "Every word of `q` must match (title, summary, description, category, tags; "
        "English stemming; the last word may be a prefix); results come best match first, "
        "otherwise by title. An unknown category or tag gives no results."
    ),
)
@cached_for_audience
def catalog(request: HttpRequest, filters: Query[CatalogQuery]) -> Any:
    page = catalog_page(
        request.user,
        CatalogFilters(
            q=filters.q.strip(),
            category=filters.category,
            level=filters.level.value if filters.level else "",
            tag=filters.tag,
            has_places=filters.has_places,
            sort=filters.sort,
        ),
        filters.page,
        filters.page_size,
    )
    return {
        "items": [_card(request, meta) for meta in page.items],
        "count": page.count,
        "page": page.number,
        "pages": page.pages,
        "page_size": page.page_size,
    }


@router.get(
    "/catalog/{public_id}",
    auth=OPEN,
    response={200: CourseDetailOut, **_ERRORS},
    summary="A course's catalog page: description, facts and published outline",
    description="Drafts answer 404 unless you may see them (their teachers, administrators).",
)
@cached_for_audience
def catalog_course(request: HttpRequest, public_id: str) -> Any:
    course = visible_course(request.user, public_id)
    meta = course_meta(course.pk) if course else None
    if course is None or meta is None:
        raise Http404
    titles = dict(
        Course.objects.filter(pk__in=meta["prerequisite_ids"])
        .order_by("title")
        .values_list("public_id", "title")
    )
    outline = published_outline(course_outline(course))
    lesson_ids = {
        lesson["id"]: lesson["public_id"] for module in outline for lesson in module["lessons"]
    }
    modules = [
        {
            **module,
            "lessons": [
                {**lesson, "prerequisite": lesson_ids.get(lesson["prerequisite_id"])}
                for lesson in module["lessons"]
            ],
        }
        for module in outline
    ]
    return {
        **_card(request, meta),
        "prerequisites": [{"public_id": p, "title": t} for p, t in titles.items()],
        "outline": modules,
    }


# --- Categories and tags ----------------------------------------------------------------------


@router.get(
    "/categories",
    auth=OPEN,
    response={200: CategoryPageOut, 401: Error, 422: Error, 429: Error},
    summary="Catalog categories with their number of published courses",
)
@cached_for_audience
def list_categories(request: HttpRequest, paging: Query[ListQuery]) -> Any:
    categories = Category.objects.annotate(
        course_count=Count("courses", filter=Q(courses__status=Course.Status.PUBLISHED))
    ).order_by("position", "name")
    rows, count, page, pages = _page_of(
        categories.values("name", "slug", "description", "position", "course_count"),
        paging.page,
        paging.page_size,
    )
    return {"items": rows, "count": count, "page": page, "pages": pages}


@router.post(
    "/categories",
    response={201: CategoryOut, 422: Error, **_ERRORS},
    summary="Add a catalog category (administrators)",
)
def create_category(request: HttpRequest, payload: CategoryIn) -> Any:
    _require_category_admin(request)
    category = category_create(actor=request.user, **payload.model_dump())
    return Status(201, _category_out(category))


@router.patch(
    "/categories/{slug}",
    response={200: CategoryOut, 422: Error, **_ERRORS},
    summary="Rename, move or describe a catalog category (administrators)",
)
def update_category(request: HttpRequest, slug: str, payload: CategoryPatch) -> Any:
    _require_category_admin(request)
    category = category_update(
        actor=request.user, category=_category(slug), **payload.model_dump(exclude_unset=True)
    )
    return _category_out(category)


@router.delete(
    "/categories/{slug}",
    response={204: None, 409: Error, **_ERRORS},
    summary="Delete a catalog category that no course uses (administrators)",
    description="A category with courses (drafts included) answers 409 `category_in_use`.",
)
def delete_category(request: HttpRequest, slug: str) -> Any:
    _require_category_admin(request)
    try:
        category_delete(actor=request.user, category=_category(slug))
    except ValidationError as exc:
        return Status(409, {"detail": " ".join(exc.messages), "code": "category_in_use"})
    return Status(204, None)


@router.get(
    "/tags",
    auth=OPEN,
    response={200: TagPageOut, 401: Error, 422: Error, 429: Error},
    summary="Course tags (topics) with their number of published courses",
)
@cached_for_audience
def list_tags(request: HttpRequest, paging: Query[ListQuery]) -> Any:
    tags = Tag.objects.annotate(
        course_count=Count("courses", filter=Q(courses__status=Course.Status.PUBLISHED))
    ).order_by("name")
    rows, count, page, pages = _page_of(
        tags.values("name", "slug", "course_count"), paging.page, paging.page_size
    )
    return {"items": rows, "count": count, "page": page, "pages": pages}
