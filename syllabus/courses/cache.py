"""Cache keys for course data (the seed's ``course:<id>`` key, one-hour TTL by default).

Readers (``selectors``) fill these keys; every service that changes a course, its modules,
lessons, tags or instructors calls ``invalidate_course`` in the same transaction (on
commit), so a change is visible on the next request. With Redis down the cache misses and
reads go to the database (see ``syllabus.core.cache``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import Signal

T = TypeVar("T")

# Bumped when the shape of a cached value changes, so old entries are never read.
VERSION = 1


def course_key(course_id: int, part: str = "meta") -> str:
    """``course:<id>`` for metadata, ``course:<id>:<part>`` for other parts (outline)."""
    return f"course:{course_id}" if part == "meta" else f"course:{course_id}:{part}"


def catalog_generation_key() -> str:
    return "course:catalog:generation"


def cached(key: str, build: Callable[[], T], timeout: int | None = None) -> T:
    """The value under ``key``, built and stored when missing."""
    value: Any = cache.get(key, version=VERSION)
    if value is None:
        value = build()
        cache.set(
            key,
            value,
            timeout=settings.COURSE_CACHE_SECONDS if timeout is None else timeout,
            version=VERSION,
        )
    return value


PARTS = ("meta", "outline")

# Sent (after commit) whenever a course's content or settings changed, with
# ``course_id``. Higher layers listen: learning recounts progress when required lessons
# change, without courses importing learning.
course_changed = Signal()


def invalidate_course(course_id: int) -> None:
    """Forget everything cached about one course, and the catalog (after commit)."""

    def forget() -> None:
        cache.delete_many([course_key(course_id, part) for part in PARTS], version=VERSION)
        catalog_changed()
        course_changed.send(sender=None, course_id=course_id)

    transaction.on_commit(forget)


def catalog_changed() -> None:
    """Catalog pages and search results are keyed by a generation number; bumping it
    retires them all at once without scanning keys."""
    try:
        cache.incr(catalog_generation_key(), version=VERSION)
    except ValueError:
        cache.set(catalog_generation_key(), 1, timeout=None, version=VERSION)


def catalog_generation() -> int:
    value = cache.get(catalog_generation_key(), version=VERSION)
    if value is None:
        cache.set(catalog_generation_key(), 1, timeout=None, version=VERSION)
        return 1
    return int(value)


def catalog_audience(request: Any) -> str | None:
    """Who shares an answer of the catalog API (``syllabus.core.response_cache``).

    Everyone sees the published courses; course editors see every course; members of a
    course that is not published also see that one, so their answers are their own."""
    from syllabus.courses.models import Course, CourseMembership
    from syllabus.courses.permissions import site_permissions

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "public"
    if "course.edit" in site_permissions(user):
        return "editors"
    unpublished = CourseMembership.objects.filter(user=user).exclude(
        course__status=Course.Status.PUBLISHED
    )
    return None if unpublished.exists() else "public"
