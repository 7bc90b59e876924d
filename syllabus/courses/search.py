"""Course search: one interface over PostgreSQL full-text search and SQLite FTS5.

``refresh_search_text`` fills ``Course.search_text`` (title, summary, description,
category and tags); every service that changes those fields calls it. The database keeps
its index from that column: a GIN expression index on PostgreSQL, an FTS5 table kept in
step by triggers on SQLite (migration 0003). ``search`` narrows a queryset to the courses
matching every word and orders them by rank.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Final

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    FloatField,
    IntegerField,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from syllabus.courses.models import Course

# Searchable words: runs of letters and digits (the tokenizers split on everything else,
# underscores included). Bounded, so a pasted essay cannot make a huge query.
_WORD: Final = re.compile(r"[^\W_]+")
MAX_WORDS: Final = 32
MAX_WORD_LENGTH: Final = 100
# A prefix match on the last word ("pyth" finds Python) from this length on.
PREFIX_MIN_LENGTH: Final = 2


def build_search_text(course: Course) -> str:
    parts = [course.title, course.summary, course.description]
    if course.category_id:
        parts.append(course.category.name if course.category else "")
    if course.pk:
        parts.extend(course.tags.values_list("name", flat=True))
    text = "\n".join(p.strip() for p in parts if p and p.strip())
    # PostgreSQL's 'english' configuration keeps accents (SQLite's tokenizer drops them):
    # the accent-free spelling of such words is added, so "cafe" finds "Café" on both.
    folded = sorted({_fold(w) for w in _WORD.findall(text) if _fold(w) != w})
    return f"{text}\n{' '.join(folded)}" if folded else text


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def refresh_search_text(course: Course) -> None:
    """Recompute and save ``search_text`` (the index follows on both databases)."""
    text = build_search_text(course)
    if text != course.search_text:
        course.search_text = text
        Course.objects.filter(pk=course.pk).update(search_text=text)


def search_words(text: str) -> list[str]:
    """The words of a search box, lower-cased, as the database tokenizers will see them."""
    words = [w[:MAX_WORD_LENGTH].lower() for w in _WORD.findall(text or "")][:MAX_WORDS]
    return [w for w in words if w]


def search(queryset: QuerySet[Course], words: str) -> QuerySet[Course]:
    """Courses of ``queryset`` matching every word of ``words``, best match first.

    The last word also matches as a prefix (typing "pyth" finds "Python"). Words are
    stemmed (English), so "learning" finds "learn". Nothing the user types is read as
    query syntax: quotes, ``*``, ``-``, ``AND``/``OR``/``NOT``, ``NEAR(`` and the like are
    plain text, so a search never fails. No searchable word (empty box, only
    punctuation): the queryset is returned unchanged.
    """
    terms = search_words(words)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        return _search_postgresql(queryset, terms)
    if connection.vendor == "sqlite":
        return _search_sqlite(queryset, terms)
    # Another database: a plain case-insensitive match on every word, title order.
    for term in terms:
        queryset = queryset.filter(search_text__icontains=term)
    return queryset.order_by("title", "pk")


def _prefixed(terms: list[str]) -> list[tuple[str, bool]]:
    last = len(terms) - 1
    return [(t, i == last and len(t) >= PREFIX_MIN_LENGTH) for i, t in enumerate(terms)]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: each word a quoted string (so FTS5 reads no operator
    from it; a quote inside is doubled), all required, the last one as a prefix."""
    parts = []
    for term, prefix in _prefixed(terms):
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(quoted + ("*" if prefix else ""))
    return " ".join(parts)


def tsquery_text(terms: list[str]) -> str:
    """A ``to_tsquery`` expression: each word a quoted lexeme (a quote or backslash
    inside is escaped), all required (``&``), the last one as a prefix (``:*``)."""
    parts = []
    for term, prefix in _prefixed(terms):
        quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(quoted + (":*" if prefix else ""))
    return " & ".join(parts)


# Fixed SQL: only the user's query text is a parameter. ``courses_course`` is the base
# table of every Course queryset, so the columns below always refer to the outer row.
_FTS5_MATCH: Final = (
    '"courses_course"."id" IN '
    "(SELECT rowid FROM courses_course_fts WHERE courses_course_fts MATCH %s)"
)
# ``rank`` is bm25 (lower is better); the FTS5 table is external content, rowid = id.
_FTS5_RANK: Final = (
    "(SELECT rank FROM courses_course_fts "
    'WHERE courses_course_fts MATCH %s AND rowid = "courses_course"."id")'
)
# Exactly the indexed expression of migration 0003, so the GIN index serves the match.
_PG_MATCH: Final = (
    'to_tsvector(\'english\'::regconfig, "courses_course"."search_text") '
    "@@ to_tsquery('english'::regconfig, %s)"
)
_PG_RANK: Final = (
    'ts_rank(to_tsvector(\'english\'::regconfig, "courses_course"."search_text"), '
    "to_tsquery('english'::regconfig, %s))"
)


def _search_sqlite(queryset: QuerySet[Course], terms: list[str]) -> QuerySet[Course]:
    match = fts5_query(terms)
    return (
        queryset.filter(RawSQL(_FTS5_MATCH, [match], output_field=BooleanField()))  # noqa: S611  # nosec B611  # constant SQL
        .annotate(
            search_rank=RawSQL(_FTS5_RANK, [match], output_field=FloatField()),  # noqa: S611  # nosec B611  # constant SQL
            title_hits=_title_hits(terms),
        )
        .order_by("-title_hits", "search_rank", "title", "pk")
    )


def _search_postgresql(queryset: QuerySet[Course], terms: list[str]) -> QuerySet[Course]:
    text = tsquery_text(terms)
    return (
        queryset.filter(RawSQL(_PG_MATCH, [text], output_field=BooleanField()))  # noqa: S611  # nosec B611  # constant SQL
        .annotate(
            search_rank=RawSQL(_PG_RANK, [text], output_field=FloatField()),  # noqa: S611  # nosec B611  # constant SQL
            title_hits=_title_hits(terms),
        )
        .order_by("-title_hits", "-search_rank", "title", "pk")
    )


def _title_hits(terms: list[str]) -> Any:
    """How many of the words appear in the title: a course named for what you typed
    comes before one that only mentions it (then the full-text rank decides)."""
    hits = [Case(When(title__icontains=t, then=Value(1)), default=Value(0)) for t in terms]
    total: Any = hits[0]
    for hit in hits[1:]:
        total = total + hit
    return ExpressionWrapper(total, output_field=IntegerField())
