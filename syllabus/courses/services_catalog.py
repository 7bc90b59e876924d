"""Catalog categories: create, edit, delete; each write audited in its transaction.

Managing categories is a site-wide task: it needs the ``course.edit`` site permission
(administrators). Renaming a category changes what its courses' search text and cached
metadata say, so both follow in the same transaction (the cache on commit).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.courses.cache import VERSION, catalog_changed, course_key
from syllabus.courses.models import Category, Course
from syllabus.courses.search import refresh_search_text

NAME_MAX = Category._meta.get_field("name").max_length or 100
SLUG_MAX = Category._meta.get_field("slug").max_length or 100
DESCRIPTION_MAX = Category._meta.get_field("description").max_length or 300
POSITION_MAX = 10_000
# Control characters other than tab and line breaks: never stored (PostgreSQL refuses NUL).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def can_manage_categories(user: Any) -> bool:
    return has_site_perm(user, "course.edit")


def _require(actor: Any) -> None:
    if actor is not None and not can_manage_categories(actor):
        raise PermissionDenied(_("Managing categories needs the course.edit site permission."))


def _clean(
    *, name: str, slug: str, description: str, position: int, instance: Category | None
) -> tuple[str, str, str, int]:
    name = " ".join((name or "").split())
    description = (description or "").strip()
    errors: dict[str, str] = {}
    for field, value in (("name", name), ("slug", slug or ""), ("description", description)):
        if _CONTROL.search(value):
            errors[field] = _("Remove the control characters (such as NUL) from this text.")
    if errors:
        raise ValidationError(errors)
    if not name:
        errors["name"] = _("Give the category a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)s characters.") % {"max": NAME_MAX}
    slug = (slug or "").strip().lower() or slugify(name)[:SLUG_MAX]
    if not errors.get("name"):
        try:
            validate_slug(slug)
        except ValidationError:
            errors["slug"] = _("Use only letters, digits, hyphens and underscores.")
        if len(slug) > SLUG_MAX:
            errors["slug"] = _("Use at most %(max)s characters.") % {"max": SLUG_MAX}
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Use at most %(max)s characters.") % {"max": DESCRIPTION_MAX}
    if not 0 <= position <= POSITION_MAX:
        errors["position"] = _("Use a position from 0 to %(max)s.") % {"max": POSITION_MAX}
    others = Category.objects.exclude(pk=instance.pk) if instance else Category.objects.all()
    if "name" not in errors and others.filter(name__iexact=name).exists():
        errors["name"] = _("A category named %(name)s already exists.") % {"name": name}
    if "slug" not in errors and "name" not in errors and others.filter(slug=slug).exists():
        errors["slug"] = _("The address %(slug)s is taken by another category.") % {"slug": slug}
    if errors:
        raise ValidationError(errors)
    return name, slug, description, position


def _forget_course_metas(course_ids: list[int]) -> None:
    """The courses' cached metadata names the category: drop it, and the catalog pages,
    after commit. (Their content did not change: no ``course_changed`` signal.)"""

    def forget() -> None:
        cache.delete_many([course_key(pk) for pk in course_ids], version=VERSION)
        catalog_changed()

    transaction.on_commit(forget)


@transaction.atomic
def category_create(
    *, actor: Any, name: str, slug: str = "", description: str = "", position: int = 0
) -> Category:
    """A new catalog category; ``slug`` defaults to one made from the name."""
    _require(actor)
    name, slug, description, position = _clean(
        name=name, slug=slug, description=description, position=position, instance=None
    )
    category = Category.objects.create(
        name=name, slug=slug, description=description, position=position
    )
    record(
        actor=actor,
        action="category.created",
        target=category,
        details={"name": name, "slug": slug},
    )
    _forget_course_metas([])
    return category


@transaction.atomic
def category_update(
    *,
    actor: Any,
    category: Category,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    position: int | None = None,
) -> Category:
    """Change some fields of a category (None keeps a field); audited with the changes."""
    _require(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    name, slug, description, position = _clean(
        name=category.name if name is None else name,
        slug=category.slug if slug is None else slug,
        description=category.description if description is None else description,
        position=category.position if position is None else position,
        instance=category,
    )
    new = {"name": name, "slug": slug, "description": description, "position": position}
    changes = {
        field: {"from": getattr(category, field), "to": value}
        for field, value in new.items()
        if getattr(category, field) != value
    }
    if not changes:
        return category
    for field, value in new.items():
        setattr(category, field, value)
    category.save()
    record(actor=actor, action="category.updated", target=category, details={"changes": changes})
    course_ids = list(Course.objects.filter(category=category).values_list("pk", flat=True))
    if "name" in changes:
        for course in Course.objects.filter(pk__in=course_ids).select_related("category"):
            refresh_search_text(course)
    _forget_course_metas(course_ids)
    return category


@transaction.atomic
def category_delete(*, actor: Any, category: Category) -> None:
    """Delete an empty category. One with courses (drafts and archived ones included)
    is refused: move the courses first, so no course silently loses its category."""
    _require(actor)
    category = Category.objects.select_for_update().get(pk=category.pk)
    count = Course.objects.filter(category=category).count()
    if count:
        raise ValidationError(
            ngettext(
                "%(name)s still has %(count)s course: move them to another category before "
                "deleting it.",
                "%(name)s still has %(count)s courses: move them to another category before "
                "deleting it.",
                count,
            )
            % {"name": category.name, "count": count}
        )
    record(
        actor=actor,
        action="category.deleted",
        target=category,
        details={"name": category.name, "slug": category.slug},
    )
    category.delete()
    _forget_course_metas([])
