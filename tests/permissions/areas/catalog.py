"""Matrix rows: the catalog and course pages (everyone, drafts hidden), course images,
and categories (administrators: the course.edit site permission)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from syllabus.courses.models import Category, Course
from tests.permissions.matrix import EVERYONE, Row, only

# The smallest valid PNG (1x1, transparent).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)

UI: dict[str, Row] = {
    "courses:catalog": Row(EVERYONE),
    "courses:detail": Row(EVERYONE, kwargs=lambda c: {"public_id": c["course"]}),
    "courses:image": Row(EVERYONE, kwargs=lambda c: {"public_id": c["catalog_course"]}),
    "courses:categories": Row(only("admin")),
    "courses:category_edit": Row(only("admin"), kwargs=lambda c: {"slug": c["category"]}),
    "courses:category_delete": Row(only("admin"), kwargs=lambda c: {"slug": c["category"]}),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/catalog"): Row(EVERYONE),
    ("GET", "/api/v1/catalog/{public_id}"): Row(
        EVERYONE, kwargs=lambda c: {"public_id": c["catalog_course"]}
    ),
    ("GET", "/api/v1/categories"): Row(EVERYONE),
    ("POST", "/api/v1/categories"): Row(only("admin"), data={"name": "Matrix new category"}),
    ("PATCH", "/api/v1/categories/{slug}"): Row(
        only("admin"), kwargs=lambda c: {"slug": c["category"]}, data={"description": "Edited"}
    ),
    ("DELETE", "/api/v1/categories/{slug}"): Row(
        only("admin"), kwargs=lambda c: {"slug": c["empty_category"]}
    ),
    ("GET", "/api/v1/tags"): Row(EVERYONE),
}

ADMIN_PAGES: dict[str, frozenset[str]] = {
    "courses/category": only("admin"),
    "courses/tag": only("admin"),
    "courses/course": only("admin"),
}


def world(base: dict[str, Any]) -> dict[str, Any]:
    category = Category.objects.create(name="Matrix category", slug="matrix-category")
    empty = Category.objects.create(name="Matrix empty", slug="matrix-empty")
    course = Course.objects.create(
        title="Matrix catalog course",
        slug="matrix-catalog-course",
        status=Course.Status.PUBLISHED,
        category=category,
        image_alt="A blank square",
    )
    course.image.save("matrix.png", ContentFile(PNG), save=True)
    return {
        "category": category.slug,
        "empty_category": empty.slug,
        "catalog_course": course.public_id,
    }
