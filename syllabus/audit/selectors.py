"""Reading the audit trail, limited to what a reader may see (seed 6.1's "Access" column)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from syllabus.audit.catalog import Category, categories_readable_by
from syllabus.audit.models import AuditEvent


def readable_categories(
    *, role_slugs: Iterable[str], permissions: Iterable[str], is_superuser: bool = False
) -> list[Category]:
    """Categories a reader may see: by role (the catalog's readers) or by permission.

    ``audit.view_all`` opens every category; ``audit.view_security`` opens sign-in events.
    The caller (a higher app) supplies the reader's roles and permissions, keeping this
    app free of any dependency on accounts.
    """
    permissions = set(permissions)
    if is_superuser or "audit.view_all" in permissions:
        return list(Category)
    categories = set(categories_readable_by(set(role_slugs)))
    if "audit.view_security" in permissions:
        categories.add(Category.AUTHENTICATION)
    return [c for c in Category if c in categories]


def event_list(
    *,
    categories: Iterable[Category],
    category: str = "",
    action: str = "",
    actor: str = "",
    target: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    allowed = [c.value for c in categories]
    events = AuditEvent.objects.filter(category__in=allowed)
    if category:
        events = events.filter(category=category)
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if target:
        events = events.filter(target_id=target)
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-occurred_at", "-id")
