"""Catalog reads and their cache: course metadata, the outline contract, catalog pages."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syllabus.courses.cache import VERSION, catalog_generation, course_key, invalidate_course
from syllabus.courses.models import Course, Lesson, Module
from syllabus.courses.selectors import (
    CatalogFilters,
    catalog_choices,
    catalog_page,
    course_meta,
    course_meta_many,
    course_outline,
    published_outline,
    visible_course,
)
from syllabus.courses.services_catalog import category_update
from syllabus.courses.tests.catalog_helpers import make_course, member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODULE_KEYS = {
    "id",
    "public_id",
    "title",
    "summary",
    "position",
    "is_published",
    "available_from",
    "lessons",
}
LESSON_KEYS = {
    "id",
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
}


@pytest.fixture
def course():
    course = make_course("Outline course", modules=2, lessons=2)
    draft_module = Module.objects.create(course=course, title="Draft module", position=2)
    Lesson.objects.create(course=course, module=draft_module, title="Hidden", position=0)
    first = Module.objects.get(course=course, position=0)
    Lesson.objects.create(
        course=course,
        module=first,
        title="Draft lesson",
        position=5,
        prerequisite=Lesson.objects.get(title="Lesson 1.1"),
        due_at=timezone.now() + timedelta(days=3),
    )
    return course


def test_outline_follows_the_contract(course):
    outline = course_outline(course)
    assert [m["title"] for m in outline] == ["Module 1", "Module 2", "Draft module"]
    for module in outline:
        assert set(module) == MODULE_KEYS
        for lesson in module["lessons"]:
            assert set(lesson) == LESSON_KEYS
    assert [lesson["title"] for lesson in outline[0]["lessons"]] == [
        "Lesson 1.1",
        "Lesson 1.2",
        "Draft lesson",
    ]
    draft = outline[0]["lessons"][2]
    assert draft["is_published"] is False
    assert draft["prerequisite_id"] == outline[0]["lessons"][0]["id"]
    # Plain values only: it must survive pickling into Redis.
    assert pickle.loads(pickle.dumps(outline))  # noqa: S301 (our own bytes) == outline


def test_outline_accepts_a_course_id(course):
    assert course_outline(course.pk) == course_outline(course)


def test_outline_is_served_from_the_cache(course, django_assert_num_queries):
    with django_assert_num_queries(2):
        course_outline(course)
    with django_assert_num_queries(0):
        again = course_outline(course)
    assert [m["title"] for m in again][:2] == ["Module 1", "Module 2"]


def test_published_outline_keeps_only_published_items_without_touching_the_cache(course):
    outline = course_outline(course)
    shown = published_outline(outline)
    assert [m["title"] for m in shown] == ["Module 1", "Module 2"]
    assert [lesson["title"] for lesson in shown[0]["lessons"]] == ["Lesson 1.1", "Lesson 1.2"]
    assert len(course_outline(course)[0]["lessons"]) == 3  # the cached value is unchanged


def test_a_change_is_visible_on_the_next_read(course, django_capture_on_commit_callbacks):
    course_outline(course)
    course_meta(course.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Module.objects.filter(course=course, position=0).update(title="Renamed")
        Course.objects.filter(pk=course.pk).update(summary="New summary")
        invalidate_course(course.pk)
    assert course_outline(course)[0]["title"] == "Renamed"
    meta = course_meta(course.pk)
    assert meta is not None and meta["summary"] == "New summary"


def test_invalidation_waits_for_the_commit(course, django_capture_on_commit_callbacks):
    course_outline(course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invalidate_course(course.pk)
    assert cache.get(course_key(course.pk, "outline"), version=VERSION) is not None
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(course_key(course.pk, "outline"), version=VERSION) is None


def test_meta_has_the_catalog_fields():
    course = make_course(
        "Meta course",
        summary="Short",
        category_name="Data",
        tags=["SQL", "Python"],
        hours="4.5",
        capacity=3,
        instructors=2,
        learners=1,
    )
    prerequisite = make_course("Basics")
    course.prerequisites.add(prerequisite)
    meta = course_meta(course.pk)
    assert meta is not None
    assert meta["category"] == {"name": "Data", "slug": "data"}
    assert [t["name"] for t in meta["tags"]] == ["Python", "SQL"]
    assert meta["estimated_hours"] == 4.5
    assert meta["learner_count"] == 1 and meta["places_left"] == 2
    assert len(meta["instructors"]) == 2
    assert meta["prerequisite_ids"] == [prerequisite.pk]
    assert meta["level_label"] == "Beginner"
    assert pickle.loads(pickle.dumps(meta))  # noqa: S301 (our own bytes) == meta
    assert course_meta(10**9) is None


def test_places_left_never_goes_below_zero():
    course = make_course("Full", capacity=1, learners=2)
    meta = course_meta(course.pk)
    assert meta is not None and meta["places_left"] == 0


def test_meta_for_many_courses_costs_the_same_queries(django_assert_max_num_queries):
    few = [make_course(f"Few {i}", tags=["A"], instructors=1).pk for i in range(3)]
    many = [make_course(f"Many {i}", tags=["A", "B"], instructors=2).pk for i in range(30)]
    with CaptureQueriesContext(connection) as small:
        course_meta_many(few)
    with CaptureQueriesContext(connection) as large:
        course_meta_many(many)
    assert len(large) == len(small)
    with django_assert_max_num_queries(0):
        course_meta_many(many)


def test_catalog_page_lists_published_courses_only():
    make_course("Open one")
    make_course("Draft one", status=Course.Status.DRAFT)
    make_course("Archived one", status=Course.Status.ARCHIVED)
    admin = UserFactory(site_roles=["admin"])
    page = catalog_page(admin, CatalogFilters())
    assert [m["title"] for m in page.items] == ["Open one"]


def test_catalog_pages_are_cached_per_generation(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    make_course("Alpha")
    anonymous = None
    catalog_page(anonymous, CatalogFilters())
    with django_assert_max_num_queries(0):
        page = catalog_page(anonymous, CatalogFilters())
    assert [m["title"] for m in page.items] == ["Alpha"]
    generation = catalog_generation()
    new = make_course("Beta")
    assert [m["title"] for m in catalog_page(None, CatalogFilters()).items] == ["Alpha"]
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_course(new.pk)
    assert catalog_generation() > generation
    assert [m["title"] for m in catalog_page(None, CatalogFilters()).items] == ["Alpha", "Beta"]


def test_catalog_filters():
    make_course("Py", category_name="Code", tags=["Python"], level="intermediate")
    make_course("Sq", category_name="Code", tags=["SQL"], capacity=1, learners=1)
    make_course("Art", category_name="Arts", capacity=5, learners=1)

    def found(**kwargs):
        return [m["title"] for m in catalog_page(None, CatalogFilters(**kwargs)).items]

    assert found(category="code") == ["Py", "Sq"]
    assert found(tag="sql") == ["Sq"]
    assert found(level="intermediate") == ["Py"]
    assert found(has_places=True) == ["Art", "Py"]
    assert found(category="code", has_places=True) == ["Py"]
    assert found(category="nothing") == []
    assert found(q="py") == ["Py"]


def test_catalog_pagination_is_bounded_and_clamped(settings):
    settings.CATALOG_PAGE_SIZE = 2
    for i in range(5):
        make_course(f"Course {i}")
    first = catalog_page(None, CatalogFilters())
    assert (first.count, first.pages, len(first.items)) == (5, 3, 2)
    last = catalog_page(None, CatalogFilters(), page=99)
    assert last.number == 3 and [m["title"] for m in last.items] == ["Course 4"]
    assert catalog_page(None, CatalogFilters(), page="x").number == 1
    assert catalog_page(None, CatalogFilters(), page=1, page_size=1000).page_size == 100


def test_catalog_choices_list_categories_and_tags_with_published_courses():
    make_course("Visible", category_name="Shown", tags=["Seen"])
    make_course("Hidden", category_name="Unused", tags=["Unseen"], status=Course.Status.DRAFT)
    choices = catalog_choices()
    assert [c["slug"] for c in choices["categories"]] == ["shown"]
    assert [t["slug"] for t in choices["tags"]] == ["seen"]


def test_visible_course_hides_drafts_from_outsiders():
    draft = make_course("Secret", status=Course.Status.DRAFT)
    teacher, outsider = UserFactory(), UserFactory()
    member(draft, teacher, "instructor")
    assert visible_course(None, draft.public_id) is None
    assert visible_course(outsider, draft.public_id) is None
    assert visible_course(teacher, draft.public_id) == draft
    assert visible_course(UserFactory(site_roles=["admin"]), draft.public_id) == draft


def test_renaming_a_category_refreshes_meta_and_search(django_capture_on_commit_callbacks):
    course = make_course("Tables", category_name="Old name")
    category = course.category
    assert category is not None
    before = course_meta(course.pk)
    assert before is not None and before["category"]["name"] == "Old name"
    with django_capture_on_commit_callbacks(execute=True):
        category_update(actor=None, category=category, name="Spreadsheets")
    after = course_meta(course.pk)
    assert after is not None and after["category"]["name"] == "Spreadsheets"
    page = catalog_page(None, CatalogFilters(q="spreadsheets"))
    assert [m["title"] for m in page.items] == ["Tables"]


def test_instructors_without_a_name_are_not_shown_by_email():
    course = make_course("Anonymous teacher")
    member(course, UserFactory(full_name="", email="secret.person@example.org"), "instructor")
    member(course, UserFactory(full_name="Ada Teacher"), "instructor")
    meta = course_meta(course.pk)
    assert meta is not None
    assert [p["full_name"] for p in meta["instructors"]] == ["Ada Teacher"]
    assert "secret" not in str(meta)


def test_ended_enrolments_do_not_take_places():
    course = make_course("Ended", capacity=2, learners=2)
    course.memberships.filter(role__slug="learner").update(
        ends_at=timezone.now() - timedelta(days=1)
    )
    meta = course_meta(course.pk)
    assert meta is not None and meta["learner_count"] == 0 and meta["places_left"] == 2
    assert [m["title"] for m in catalog_page(None, CatalogFilters(has_places=True)).items] == [
        "Ended"
    ]


def test_catalog_orders():
    now = timezone.now()
    make_course("A older python", published_at=now - timedelta(days=9))
    make_course("B newer", published_at=now - timedelta(days=1), summary="python")
    make_course("C never dated")

    def titles(**kwargs):
        return [m["title"] for m in catalog_page(None, CatalogFilters(**kwargs)).items]

    assert titles() == ["A older python", "B newer", "C never dated"]
    assert titles(sort="newest") == ["B newer", "A older python", "C never dated"]
    assert titles(q="python") == ["A older python", "B newer"]  # title match first
    assert titles(q="python", sort="newest") == ["B newer", "A older python"]
    assert titles(q="newer python", sort="title") == ["B newer"]


@pytest.mark.parametrize("sort", ["", "title", "newest"])
def test_every_filter_at_once(sort):
    make_course(
        "Python full", category_name="Code", tags=["Py"], level="advanced", capacity=1, learners=1
    )
    make_course("Python open", category_name="Code", tags=["Py"], level="advanced", capacity=3)
    filters = CatalogFilters(
        q="python", category="code", level="advanced", tag="py", has_places=True, sort=sort
    )
    assert [m["title"] for m in catalog_page(None, filters).items] == ["Python open"]


@pytest.mark.parametrize("q", [":", "***", " "])
def test_punctuation_only_search_lists_everything_in_title_order(q):
    make_course("B", capacity=5)
    make_course("A", capacity=5)
    filters = CatalogFilters(q=q, has_places=True)  # GROUP BY: no default ordering
    assert [m["title"] for m in catalog_page(None, filters).items] == ["A", "B"]
