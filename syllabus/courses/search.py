"""Course search: one interface over PostgreSQL full-text search and SQLite FTS5.

``refresh_search_text`` fills ``Course.search_text`` (title, summary, description,
category and tags); every service that changes those fields calls it. The database keeps
its index from that column: a GIN expression index on PostgreSQL, an FTS5 table kept in
step by triggers on SQLite (migration 0003). ``search`` narrows a queryset to the courses
matching every word and orders them by rank.
"""

from __future__ import annotations

from syllabus.courses.models import Course


def build_search_text(course: Course) -> str:
    parts = [course.title, course.summary, course.description]
    if course.category_id:
        parts.append(course.category.name if course.category else "")
    if course.pk:
        parts.extend(course.tags.values_list("name", flat=True))
    return "\n".join(p.strip() for p in parts if p and p.strip())


def refresh_search_text(course: Course) -> None:
    """Recompute and save ``search_text`` (the index follows on both databases)."""
    text = build_search_text(course)
    if text != course.search_text:
        course.search_text = text
        Course.objects.filter(pk=course.pk).update(search_text=text)
