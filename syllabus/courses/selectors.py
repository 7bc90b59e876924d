"""Reads for the catalog and the course page, cached where it pays.

Two cached values per course, under the keys of ``syllabus.courses.cache`` (TTL
``settings.COURSE_CACHE_SECONDS``, one hour by default), both plain dicts, lists and
primitives (``datetime`` included) so they pickle into Redis:

``course_meta(course_id) -> dict | None`` under ``course:<id>``
    The catalog fields of one course: ``id, public_id, title, slug, summary,
    description_html, status, published_at, category ({name, slug} or None), tags
    ([{name, slug}]), level, level_label, estimated_hours (float or None), has_image,
    image_version, image_alt, available_from, available_until, enrolment, capacity,
    learner_count, places_left (None: no limit), instructors ([{public_id, full_name}]),
    prerequisite_ids``. ``None`` for an unknown id.

``course_outline(course) -> list[dict]`` under ``course:<id>:outline``
    CONTRACT (helpers B, D and others rely on it): one dict per module, in order, each
    ``{id, public_id, title, summary, position, is_published, available_from,
    lessons}`` where ``lessons`` is a list, in order, of ``{id, public_id, title, kind,
    position, is_published, is_required, available_from, due_at, estimated_minutes,
    prerequisite_id, video_duration_seconds}``. ALL modules and lessons are included,
    drafts too: callers showing the outline to learners keep ``is_published`` items
    (``published_outline`` does it). Never mutate the returned lists: they may be
    shared with other callers of the same process (local-memory cache).

Neither value checks permissions: callers first find the course through
``courses_visible_to`` (``visible_course``). Services that change a course, its
modules, lessons, tags, category or people call ``invalidate_course(course_id)``; the
catalog pages are keyed by ``catalog_generation()``, which the same call bumps.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from syllabus.courses.cache import VERSION, cached, catalog_generation, course_key
from syllabus.courses.models import Category, Course, CourseMembership, Lesson, Module, Tag
from syllabus.courses.permissions import courses_visible_to
from syllabus.courses.search import search, search_words

COURSE_ID = re.compile(r"crs_[0-9a-z]{1,40}")
INSTRUCTOR = "instructor"
LEARNER = "learner"
MAX_PAGE_SIZE = 100


def _active_learners() -> Q:
    """Learner memberships whose access has not ended, seen from a course: the rule of
    ``services_enrolment.active_learner_q`` (places are counted the same way)."""
    ends = Q(memberships__ends_at__isnull=True) | Q(memberships__ends_at__gt=timezone.now())
    return Q(memberships__role__slug=LEARNER) & ends


# --- One course -------------------------------------------------------------------------------


def visible_course(user: Any, public_id: str) -> Course | None:
    """The course with ``public_id`` if ``user`` may see it (drafts only for their
    members and course editors), else None: callers answer 404, never revealing drafts."""
    if not COURSE_ID.fullmatch(public_id or ""):
        return None  # not an id (and nothing PostgreSQL refuses, such as NUL, reaches it)
    return (
        Course.objects.filter(courses_visible_to(user), public_id=public_id)
        .select_related("category")
        .first()
    )


def course_meta(course_id: int) -> dict[str, Any] | None:
    """The cached catalog fields of one course (see the module docstring)."""
    return course_meta_many([course_id]).get(course_id)


def course_meta_many(course_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``course_meta`` for several courses: one cache round trip, and one set of queries
    (whatever the number of courses) for those missing from the cache."""
    ids = list(dict.fromkeys(course_ids))
    if not ids:
        return {}
    keys = {course_key(pk): pk for pk in ids}
    found: dict[str, Any] = cache.get_many(list(keys), version=VERSION)
    metas = {keys[key]: value for key, value in found.items()}
    missing = [pk for pk in ids if pk not in metas]
    if missing:
        built = _build_metas(missing)
        cache.set_many(
            {course_key(pk): meta for pk, meta in built.items()},
            timeout=settings.COURSE_CACHE_SECONDS,
            version=VERSION,
        )
        metas.update(built)
    # The cache holds the level's label in the language of whoever filled it: word it
    # again in the reader's.
    labels = dict(Course.Level.choices)
    return {
        pk: {**meta, "level_label": str(labels.get(meta["level"], meta["level"]))}
        for pk, meta in metas.items()
    }


def _build_metas(course_ids: list[int]) -> dict[int, dict[str, Any]]:
    courses = (
        Course.objects.filter(pk__in=course_ids)
        .select_related("category")
        .prefetch_related("tags")
        .annotate(
            learner_total=Count("memberships", filter=_active_learners()),
        )
    )
    instructors: dict[int, list[dict[str, str]]] = {}
    for membership in (
        CourseMembership.objects.filter(course_id__in=course_ids, role__slug=INSTRUCTOR)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ):
        # Catalog pages are public: a teacher without a name is not listed (their
        # email address is never shown in its place).
        if name := membership.user.full_name.strip():
            instructors.setdefault(membership.course_id, []).append(
                {"public_id": membership.user.public_id, "full_name": name}
            )
    prerequisites: dict[int, list[int]] = {}
    for from_id, to_id in Course.prerequisites.through.objects.filter(
        from_course_id__in=course_ids
    ).values_list("from_course_id", "to_course_id"):
        prerequisites.setdefault(from_id, []).append(to_id)
    return {
        course.pk: {
            "id": course.pk,
            "public_id": course.public_id,
            "title": course.title,
            "slug": course.slug,
            "summary": course.summary,
            "description_html": course.description_html,
            "status": course.status,
            "published_at": course.published_at,
            "category": (
                {"name": course.category.name, "slug": course.category.slug}
                if course.category
                else None
            ),
            "tags": [{"name": t.name, "slug": t.slug} for t in course.tags.all()],
            "level": course.level,
            "level_label": course.get_level_display(),
            "estimated_hours": (
                float(course.estimated_hours) if course.estimated_hours is not None else None
            ),
            "has_image": bool(course.image),
            # In the image URL (?v=): a new image gets a new URL, so it may be cached long.
            "image_version": (
                hashlib.sha256(course.image.name.encode()).hexdigest()[:12] if course.image else ""
            ),
            "image_alt": course.image_alt,
            "available_from": course.available_from,
            "available_until": course.available_until,
            "enrolment": course.enrolment,
            "capacity": course.capacity,
            "learner_count": course.learner_total,
            "places_left": (
                max(0, course.capacity - course.learner_total)
                if course.capacity is not None
                else None
            ),
            "instructors": instructors.get(course.pk, []),
            "prerequisite_ids": prerequisites.get(course.pk, []),
        }
        for course in courses
    }


def course_outline(course: Course | int) -> list[dict[str, Any]]:
    """Modules with their lessons, drafts included, cached (see the module docstring)."""
    course_id = course if isinstance(course, int) else course.pk
    return cached(course_key(course_id, "outline"), lambda: _build_outline(course_id))


def _build_outline(course_id: int) -> list[dict[str, Any]]:
    modules = list(
        Module.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values("id", "public_id", "title", "summary", "position", "is_published", "available_from")
    )
    lessons = (
        Lesson.objects.filter(course_id=course_id)
        .order_by("position", "pk")
        .values(
            "id",
            "module_id",
            "public_id",
            "title",
            "kind",
            "position",
            "is_published",
            "is_required",
            "available_from",
            "due_at",
            "estimated_minutes",
            "prerequisite_id",
            "video_duration_seconds",
        )
    )
    by_module: dict[int, list[dict[str, Any]]] = {m["id"]: [] for m in modules}
    for row in lessons:
        lesson: dict[str, Any] = dict(row)
        module_id = lesson.pop("module_id")
        if module_id in by_module:
            by_module[module_id].append(lesson)
    return [{**module, "lessons": by_module[module["id"]]} for module in modules]


def published_outline(outline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What learners see: published modules with their published lessons (new lists)."""
    return [
        {**module, "lessons": [lesson for lesson in module["lessons"] if lesson["is_published"]]}
        for module in outline
        if module["is_published"]
    ]


# --- The catalog ------------------------------------------------------------------------------


SORTS = {
    "": gettext_lazy("Best match"),
    "title": gettext_lazy("Title (A to Z)"),
    "newest": gettext_lazy("Newest first"),
}


@dataclass(frozen=True)
class CatalogFilters:
    """What a catalog page asks for; every field is already validated."""

    q: str = ""
    category: str = ""  # a category slug
    level: str = ""
    tag: str = ""  # a tag slug
    has_places: bool = False
    sort: str = ""  # "" (best match when searching, else title), "title" or "newest"

    def cache_part(self) -> str:
        raw = json.dumps(
            [self.q, self.category, self.level, self.tag, self.has_places, self.sort],
            ensure_ascii=True,
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CatalogPage:
    """One page of catalog results: course metas in rank order, and the totals."""

    items: list[dict[str, Any]]
    count: int
    number: int
    pages: int
    page_size: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def catalog_queryset(user: Any, filters: CatalogFilters) -> QuerySet[Course]:
    """Published courses matching ``filters``, best match first when searching."""
    courses = Course.objects.filter(courses_visible_to(user), status=Course.Status.PUBLISHED)
    if filters.category:
        courses = courses.filter(category__slug=filters.category)
    if filters.level:
        courses = courses.filter(level=filters.level)
    if filters.tag:
        tagged = Course.tags.through.objects.filter(tag__slug=filters.tag)
        courses = courses.filter(pk__in=tagged.values("course_id"))
    if filters.has_places:
        courses = courses.annotate(
            learner_total=Count("memberships", filter=_active_learners())
        ).filter(Q(capacity__isnull=True) | Q(capacity__gt=F("learner_total")))
    if search_words(filters.q):  # words to search for (not only punctuation)
        courses = search(courses, filters.q)
        if not filters.sort:
            return courses  # best match first
    if filters.sort == "newest":
        return courses.order_by(F("published_at").desc(nulls_last=True), "title", "pk")
    return courses.order_by("title", "pk")


def catalog_page(
    user: Any, filters: CatalogFilters, page: int | str | None = 1, page_size: int | None = None
) -> CatalogPage:
    """One page of the catalog. The ids on each page are cached per catalog generation
    (every course change retires them); the cards come from ``course_meta_many``.

    The catalog lists published courses only, which everyone may see, so one cached page
    serves every visitor.
    """
    size = max(1, min(page_size or settings.CATALOG_PAGE_SIZE, MAX_PAGE_SIZE))
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1

    def build() -> dict[str, Any]:
        paginator = Paginator(catalog_queryset(user, filters).values_list("pk", flat=True), size)
        current = paginator.get_page(number)  # out of range: the last page
        return {
            "ids": list(current.object_list),
            "count": paginator.count,
            "number": current.number,
            "pages": paginator.num_pages,
        }

    key = f"course:catalog:{catalog_generation()}:{filters.cache_part()}:{size}:{number}"
    result = cached(key, build)
    metas = course_meta_many(result["ids"])
    return CatalogPage(
        items=[metas[pk] for pk in result["ids"] if pk in metas],
        count=result["count"],
        number=result["number"],
        pages=result["pages"],
        page_size=size,
    )


def catalog_choices() -> dict[str, Any]:
    """Categories and tags offered as catalog filters (those with published courses)."""

    def build() -> dict[str, Any]:
        published = Q(courses__status=Course.Status.PUBLISHED)
        categories = (
            Category.objects.annotate(published=Count("courses", filter=published))
            .filter(published__gt=0)
            .values("name", "slug", "published")
        )
        tags = (
            Tag.objects.annotate(published=Count("courses", filter=published))
            .filter(published__gt=0)
            .values("name", "slug", "published")
        )
        return {"categories": list(categories), "tags": list(tags)}

    return cached(f"course:catalog:{catalog_generation()}:choices", build)
