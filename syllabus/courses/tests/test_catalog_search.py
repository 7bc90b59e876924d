"""Course search: one interface over SQLite FTS5 and PostgreSQL full-text search.

The behaviour tests run on whichever database the suite uses (SQLite by default;
``DATABASE_URL=postgres://...`` runs them on PostgreSQL). Tests that only make sense on
one database say so in their name and skip on the other.
"""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.courses.models import Course
from syllabus.courses.search import (
    MAX_WORDS,
    build_search_text,
    fts5_query,
    refresh_search_text,
    search,
    search_words,
    tsquery_text,
)
from syllabus.courses.tests.catalog_helpers import make_course, tag

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite FTS5 only")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search only"
)

# Characters and words that mean something to FTS5 or tsquery syntax.
SYNTAX = [
    '"',
    '""',
    "'",
    "*",
    "-python",
    "python -",
    "AND",
    "OR",
    "NOT",
    "python OR",
    "NEAR(",
    "NEAR(python data, 2)",
    "title:python",
    "^python",
    "(python",
    "python)",
    "{title}: x",
    "& | ! <->",
    ":*",
    "\\",
    "%",
    "_",
    "\x00",
    "pyth\u0000on",
    "🙂 python",
]


def titles(queryset):
    return [course.title for course in queryset]


@pytest.fixture
def courses():
    return {
        "python": make_course(
            "Python for data analysis",
            summary="Clean, explore and chart data with pandas.",
            tags=["Programming"],
            category_name="Data",
        ),
        "cooking": make_course(
            "Cooking for busy people",
            summary="Quick recipes; a python-free zone.",
            description="Knife skills and learning to plan meals.",
        ),
        "stats": make_course("Statistics", summary="Distributions and testing."),
        "draft": make_course("Python drafts", status=Course.Status.DRAFT),
    }


def test_every_word_must_match(courses):
    found = titles(search(Course.objects.all(), "python data"))
    assert found == ["Python for data analysis"]


def test_last_word_matches_as_a_prefix(courses):
    assert "Statistics" in titles(search(Course.objects.all(), "statis"))
    assert titles(search(Course.objects.all(), "distrib")) == ["Statistics"]


def test_words_other_than_the_last_are_whole_words(courses):
    assert titles(search(Course.objects.all(), "distrib testing")) == []


def test_stemming_finds_other_forms_of_a_word(courses):
    assert titles(search(Course.objects.all(), "learn knives")) == []  # knife/knives differ
    assert titles(search(Course.objects.all(), "learned planning")) == ["Cooking for busy people"]


def test_search_is_case_and_accent_insensitive(courses):
    make_course("Café culture", summary="Espresso.")
    assert titles(search(Course.objects.all(), "PYTHON DATA")) == ["Python for data analysis"]
    assert titles(search(Course.objects.all(), "cafe")) == ["Café culture"]


def test_category_and_tags_are_searched(courses):
    assert titles(search(Course.objects.all(), "programming")) == ["Python for data analysis"]


def test_title_matches_come_first(courses):
    # "python" is in two titles and in one summary: titles first, then by rank.
    found = titles(search(Course.objects.all(), "python"))
    assert found[-1] == "Cooking for busy people"
    assert set(found[:2]) == {"Python for data analysis", "Python drafts"}


def test_search_keeps_the_querysets_filters(courses):
    published = Course.objects.filter(status=Course.Status.PUBLISHED)
    assert "Python drafts" not in titles(search(published, "python"))


@pytest.mark.parametrize("words", ["", "   ", "***", "--", "&&&", '"'])
def test_no_searchable_word_returns_the_queryset_unchanged(courses, words):
    queryset = Course.objects.all()
    assert search(queryset, words) is queryset


@pytest.mark.parametrize("words", SYNTAX)
def test_query_syntax_is_plain_text(courses, words):
    # Never an error, and the same courses as the bare words: the syntax is ignored.
    plain = " ".join(search_words(words))
    assert titles(search(Course.objects.all(), words)) == titles(
        search(Course.objects.all(), plain)
    )


def test_syntax_around_words_is_ignored(courses):
    for words in ("-python", '"python"', "python*", "(python)", "^python", "python:"):
        assert "Python for data analysis" in titles(search(Course.objects.all(), words))
    assert titles(search(Course.objects.all(), "NEAR(python data)")) == []  # needs "near"


def test_and_or_not_near_are_words_to_find_not_operators(courses):
    make_course("Rock and roll", summary="Guitar or drums, near the stage.")
    # As FTS5 operators these would fail or find Statistics.
    assert titles(search(Course.objects.all(), "statistics near")) == []
    assert titles(search(Course.objects.all(), "guitar or drums")) == ["Rock and roll"]
    assert titles(search(Course.objects.all(), "drums near")) == ["Rock and roll"]


@sqlite_only
def test_sqlite_operator_words_must_appear(courses):
    # PostgreSQL drops English stop words such as "or" and "not" from queries instead.
    assert titles(search(Course.objects.all(), "statistics or")) == []
    assert titles(search(Course.objects.all(), "NOT statistics")) == []


def test_index_follows_changes_of_search_text(courses):
    course = courses["stats"]
    course.tags.add(tag("Probability"))
    refresh_search_text(course)
    assert titles(search(Course.objects.all(), "probability")) == ["Statistics"]
    Course.objects.filter(pk=course.pk).delete()
    assert titles(search(Course.objects.all(), "probability")) == []


def test_build_search_text_joins_the_catalog_fields(courses):
    text = build_search_text(courses["python"])
    for part in ("Python for data analysis", "pandas", "Data", "Programming"):
        assert part in text


def test_search_words_are_bounded():
    words = search_words(" ".join(f"w{i}" for i in range(100)) + " " + "x" * 500)
    assert len(words) == MAX_WORDS
    assert all(len(w) <= 100 for w in search_words("y" * 500))


def test_query_builders_quote_every_word():
    assert fts5_query(["python", "da"]) == '"python" "da"*'
    assert fts5_query(['a"b', "c"]) == '"a""b" "c"'
    assert tsquery_text(["python", "da"]) == "'python' & 'da':*"
    assert tsquery_text(["o'neil", "back\\slash"]) == "'o''neil' & 'back\\\\slash':*"
    assert fts5_query(["python", "x"]) == '"python" "x"'  # one letter: not a prefix


@sqlite_only
def test_sqlite_uses_the_fts5_table(courses, django_assert_num_queries):
    queryset = search(Course.objects.all(), "python")
    assert "courses_course_fts" in str(queryset.query)
    with django_assert_num_queries(1):
        list(queryset)


@postgres_only
def test_postgresql_uses_the_indexed_expression(courses):
    queryset = search(Course.objects.all(), "python")
    sql = str(queryset.query)
    assert 'to_tsvector(\'english\'::regconfig, "courses_course"."search_text")' in sql
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a few rows: make the planner show it
        try:
            plan = queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")
    assert "courses_course_search_gin" in plan


@postgres_only
def test_postgresql_stop_words_alone_find_nothing(courses):
    assert titles(search(Course.objects.all(), "the and of")) == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.text(max_size=80))
def test_any_text_never_raises(courses, words):
    found = titles(search(Course.objects.all(), words))
    assert found == titles(search(Course.objects.all(), " ".join(search_words(words))))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(
        st.sampled_from([*SYNTAX, "python", "data", "NEAR", "*", '"', "-", "(", ")"]),
        max_size=6,
    ).map(" ".join)
)
def test_syntax_soup_never_raises(courses, words):
    list(search(Course.objects.all(), words))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.text(max_size=60))
def test_catalog_page_and_api_never_fail_on_any_text(client, courses, words):
    page = client.get("/courses/", {"q": words.replace("\x00", "")})
    assert page.status_code in (200, 400)
    api = client.get("/api/v1/catalog", {"q": words.replace("\x00", "")})
    assert api.status_code in (200, 422)
