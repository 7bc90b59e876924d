"""The catalog page, the course page and the course image, as people see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syllabus.courses.models import Course, Lesson, Module
from syllabus.courses.tests.catalog_helpers import make_course, member
from syllabus.privacy.selectors import forget_current_policies
from tests.factories import UserFactory
from tests.permissions.areas.catalog import PNG

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


# --- Catalog --------------------------------------------------------------------------------


def test_anyone_can_browse_published_courses(client):
    make_course(
        "Python basics",
        summary="Your first programs.",
        category_name="Programming",
        tags=["Python"],
        hours="3.5",
        instructors=1,
        level="intermediate",
    )
    make_course("Secret draft", status=Course.Status.DRAFT)
    response = client.get("/courses/")
    assert response.status_code == 200
    page = text(response)
    assert "Python basics" in page and "Your first programs." in page
    assert "Programming" in page and "Intermediate" in page and "3.5 hours" in page
    assert "Teacher " in page  # instructor names
    assert "Secret draft" not in page
    assert "1 course" in page


def test_search_box_and_filters(client):
    make_course("Python basics", category_name="Programming", tags=["Python"])
    make_course("Watercolour", category_name="Arts", level="advanced")
    page = text(client.get("/courses/", {"q": "pyth"}))
    assert "Python basics" in page and "Watercolour" not in page
    assert "for “pyth”" in page
    page = text(client.get("/courses/", {"category": "arts"}))
    assert "Watercolour" in page and "Python basics" not in page
    page = text(client.get("/courses/", {"level": "advanced"}))
    assert "Watercolour" in page and "Python basics" not in page
    page = text(client.get("/courses/", {"tag": "python"}))
    assert "Python basics" in page and "Watercolour" not in page


def test_has_places_filter(client):
    make_course("Full course", capacity=1, learners=1)
    make_course("Roomy course", capacity=10, learners=1)
    page = text(client.get("/courses/", {"has_places": "on"}))
    assert "Roomy course" in page and "Full course" not in page
    assert "9 left" in page


def test_invalid_filters_answer_400_and_say_why(client):
    make_course("Anything")
    response = client.get("/courses/", {"level": "wizard", "category": "not a slug"})
    assert response.status_code == 400
    page = text(response)
    assert "Some filters were not valid" in page
    assert "Anything" in page  # the valid part of the search still runs


def test_empty_catalog_says_what_happens_next(client):
    page = text(client.get("/courses/"))
    assert "There are no published courses yet" in page


def test_no_match_suggests_how_to_widen_the_search(client):
    make_course("Python basics")
    page = text(client.get("/courses/", {"q": "zzzz"}))
    assert "No courses found" in page
    assert "Check the spelling" in page and "See every course" in page


def test_pages(client, settings):
    settings.CATALOG_PAGE_SIZE = 2
    for i in range(5):
        make_course(f"Course {i}", category_name="All")
    page = text(client.get("/courses/", {"category": "all"}))
    assert "Page 1 of 3" in page
    assert "?category=all&amp;page=2" in page
    page = text(client.get("/courses/", {"category": "all", "page": "3"}))
    assert "Course 4" in page and "Course 0" not in page
    assert client.get("/courses/", {"page": "banana"}).status_code == 200


def test_htmx_gets_only_the_results(client):
    make_course("Python basics")
    response = client.get(
        "/courses/", {"q": "python"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="catalog-results"
    )
    page = text(response)
    assert response.status_code == 200
    assert "<html" not in page and 'id="catalog-results"' in page and "Python basics" in page
    # innerHTML: the text changes inside the live region already on the page (a region
    # swapped in whole is a new element, which screen readers do not announce).
    status = 'id="catalog-status" class="visually-hidden" role="status" hx-swap-oob="innerHTML">'
    assert status + "1 course found" in page  # announced by screen readers


def test_the_form_works_without_javascript(client):
    page = text(client.get("/courses/"))
    assert 'method="get"' in page and 'action="/courses/"' in page
    assert '<button type="submit">Show courses</button>' in page
    assert 'role="search"' in page and '<label for="id_q">' in page


def _count_catalog_queries(client) -> int:
    cache.clear()
    forget_current_policies()  # and the process's copy: each count starts cold
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/courses/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["anonymous", "learner"])
def test_catalog_query_count_does_not_grow_with_courses(client, persona, settings):
    settings.CATALOG_PAGE_SIZE = 40
    if persona == "learner":
        client.force_login(UserFactory())
    for i in range(3):
        make_course(f"Small {i}", tags=["A"], instructors=1, modules=1, lessons=1)
    few = _count_catalog_queries(client)
    for i in range(30):
        make_course(
            f"Big {i}", category_name="Cat", tags=["A", "B"], instructors=2, modules=2, lessons=2
        )
    many = _count_catalog_queries(client)
    assert many == few
    with CaptureQueriesContext(connection) as cached:
        client.get("/courses/")
    assert len(cached) < few  # the cached page costs less


# --- Course page -------------------------------------------------------------------------------


@pytest.fixture
def course():
    course = make_course(
        "Data course",
        summary="Learn data.",
        description="All **about** data.",
        category_name="Data",
        tags=["SQL"],
        hours="2",
        capacity=10,
        learners=3,
        instructors=1,
        modules=1,
        lessons=2,
    )
    first = Lesson.objects.get(course=course, title="Lesson 1.1")
    second = Lesson.objects.get(course=course, title="Lesson 1.2")
    second.prerequisite = first
    second.save()
    module = first.module
    Lesson.objects.create(course=course, module=module, title="Unfinished lesson", position=9)
    Module.objects.create(course=course, title="Unfinished module", position=5)
    Module.objects.create(
        course=course,
        title="Later module",
        position=3,
        is_published=True,
        available_from=timezone.now() + timedelta(days=10),
    )
    return course


def test_course_page_shows_the_course(client, course):
    response = client.get(f"/courses/{course.public_id}/")
    assert response.status_code == 200
    page = text(response)
    assert '<h1 id="course-title">Data course</h1>' in page
    assert "<strong>about</strong>" in page  # the rendered description
    assert "Data" in page and "SQL" in page and "About 2 hours" in page
    assert "7 of 10 left" in page
    assert "Teacher " in page
    assert "Lesson 1.1" in page and "Lesson 1.2" in page
    assert "Opens after “Lesson 1.1”" in page
    assert "Later module" in page and "Opens on" in page
    assert "private" in response["Cache-Control"]


def test_learners_never_see_draft_content(client, course):
    learner = UserFactory()
    member(course, learner, "learner")
    client.force_login(learner)
    page = text(client.get(f"/courses/{course.public_id}/"))
    assert "Unfinished lesson" not in page and "Unfinished module" not in page
    assert ">Draft<" not in page


def test_teachers_see_drafts_marked(client, course):
    teacher = UserFactory()
    member(course, teacher, "instructor")
    client.force_login(teacher)
    page = text(client.get(f"/courses/{course.public_id}/"))
    assert "Unfinished lesson" in page and "Unfinished module" in page
    assert ">Draft<" in page


def test_draft_course_is_404_for_those_who_may_not_see_it(client):
    draft = make_course("Hidden draft", status=Course.Status.DRAFT)
    url = f"/courses/{draft.public_id}/"
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 404 and "Hidden draft" not in text(response)
    teacher = UserFactory()
    member(draft, teacher, "instructor")
    client.force_login(teacher)
    page = text(client.get(url))
    assert "Hidden draft" in page and "not in the catalog yet" in page
    client.force_login(UserFactory(site_roles=["admin"]))
    assert client.get(url).status_code == 200


def test_unknown_course_is_404(client):
    assert client.get("/courses/crs_doesnotexist/").status_code == 404
    assert client.get("/courses/crs_doesnotexist/image").status_code == 404


def test_prerequisites_are_listed(client, course):
    basics = make_course("Basics")
    future = make_course("Future course", status=Course.Status.DRAFT)
    course.prerequisites.add(basics, future)
    cache.clear()
    page = text(client.get(f"/courses/{course.public_id}/"))
    assert f'href="/courses/{basics.public_id}/"' in page
    assert 'Future course <span class="muted">(not open yet)</span>' in page


def test_empty_outline_says_what_to_expect(client):
    empty = make_course("Empty")
    page = text(client.get(f"/courses/{empty.public_id}/"))
    assert "The teachers are still preparing the lessons" in page


def test_course_page_includes_the_enrol_and_announcement_panels(client, course):
    response = client.get(f"/courses/{course.public_id}/")
    names = [t.name for t in response.templates]
    assert "courses/includes/enrol_panel.html" in names
    assert "courses/includes/announcements_panel.html" in names
    assert response.context["course"] == course


def _count_course_page_queries(client, course) -> int:
    cache.clear()
    forget_current_policies()  # and the process's copy: each count starts cold
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/courses/{course.public_id}/").status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["anonymous", "learner"])
def test_course_page_query_count_does_not_grow_with_content(client, persona):
    small = make_course("Small", tags=["A"], instructors=1, modules=1, lessons=1, learners=1)
    big = make_course(
        "Big", tags=["A", "B", "C"], instructors=5, modules=10, lessons=6, learners=20
    )
    big.prerequisites.add(*[make_course(f"Pre {i}") for i in range(5)])
    small.prerequisites.add(make_course("Pre small"))
    if persona == "learner":
        user = UserFactory()
        member(small, user, "learner")
        member(big, user, "learner")
        client.force_login(user)
    assert _count_course_page_queries(client, big) == _count_course_page_queries(client, small)


# --- Course image -------------------------------------------------------------------------------


def _with_image(course: Course) -> Course:
    course.image.save("cover.png", ContentFile(PNG), save=True)
    course.image_alt = "A cover"
    course.save()
    return course


def test_image_is_served_with_its_type_and_cache_headers(client):
    course = _with_image(make_course("Pictured"))
    response = client.get(f"/courses/{course.public_id}/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert "public" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    page = text(client.get(f"/courses/{course.public_id}/"))
    assert f'src="/courses/{course.public_id}/image?v=' in page and 'alt="A cover"' in page
    assert 'alt="A cover"' in text(client.get("/courses/"))


def test_image_supports_ranges(client):
    course = _with_image(make_course("Pictured"))
    response = client.get(f"/courses/{course.public_id}/image", HTTP_RANGE="bytes=0-7")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == PNG[:8]
    bad = client.get(f"/courses/{course.public_id}/image", HTTP_RANGE="bytes=9999-")
    assert bad.status_code == 416


def test_draft_image_is_hidden_and_never_publicly_cached(client):
    course = _with_image(make_course("Draft pictured", status=Course.Status.DRAFT))
    url = f"/courses/{course.public_id}/image"
    assert client.get(url).status_code == 404
    teacher = UserFactory()
    member(course, teacher, "instructor")
    client.force_login(teacher)
    response = client.get(url)
    assert response.status_code == 200 and "private" in response["Cache-Control"]


def test_course_without_image_is_404(client):
    course = make_course("Plain")
    assert client.get(f"/courses/{course.public_id}/image").status_code == 404


def test_image_missing_from_storage_is_404(client):
    course = make_course("Lost")
    Course.objects.filter(pk=course.pk).update(image="courses/missing/gone.png")
    assert client.get(f"/courses/{course.public_id}/image").status_code == 404


def test_other_words_under_courses_are_not_taken_as_course_ids(client):
    # Course ids start with crs_: /courses/categories/ is its own page.
    response = client.get("/courses/categories/")
    assert response.status_code == 302  # sign in first, not a 404 course page


def test_cards_show_availability(client):
    now = timezone.now()
    make_course("Soon", available_from=now + timedelta(days=20))
    make_course("Over", available_until=now - timedelta(days=2))
    page = text(client.get("/courses/"))
    assert "<dt>Starts</dt>" in page and "Closed on" in page


def test_administrators_get_a_link_to_the_categories(client):
    assert "Manage categories" not in text(client.get("/courses/"))
    client.force_login(UserFactory(site_roles=["manager"]))
    assert "Manage categories" not in text(client.get("/courses/"))
    client.force_login(UserFactory(site_roles=["admin"]))
    assert 'href="/courses/categories/">Manage categories' in text(client.get("/courses/"))


def test_members_get_links_to_the_lessons(client, course):
    lesson = Lesson.objects.get(course=course, title="Lesson 1.1")
    link = f'href="/learn/{lesson.public_id}/"'
    assert link not in text(client.get(f"/courses/{course.public_id}/"))
    learner = UserFactory()
    member(course, learner, "learner")
    client.force_login(learner)
    assert link in text(client.get(f"/courses/{course.public_id}/"))


def test_page_links_keep_only_valid_filters(client, settings):
    settings.CATALOG_PAGE_SIZE = 1
    make_course("One", level="advanced")
    make_course("Two", level="advanced")
    page = text(client.get("/courses/", {"level": "advanced", "junk": "x", "tag": "not valid!"}))
    assert "?level=advanced&amp;page=2" in page
    assert "junk" not in page.split("catalog-results")[1]


def test_order_choice(client):
    make_course("Older", published_at=timezone.now() - timedelta(days=5))
    make_course("Newer", published_at=timezone.now())
    page = text(client.get("/courses/", {"sort": "newest"}))
    assert page.index("Newer") < page.index("Older")
    assert '<option value="newest" selected>Newest first</option>' in page
    assert client.get("/courses/", {"sort": "bogus"}).status_code == 400


def test_archived_course_stays_visible_to_its_members_only(client):
    archived = make_course("Old course", status=Course.Status.ARCHIVED)
    url = f"/courses/{archived.public_id}/"
    assert client.get(url).status_code == 404
    learner = UserFactory()
    member(archived, learner, "learner")
    client.force_login(learner)
    assert "no longer in the catalog" in text(client.get(url))


PARAMETERS = st.dictionaries(
    st.sampled_from(["q", "category", "level", "tag", "has_places", "sort", "page", "page_size"]),
    st.text(max_size=30),
    max_size=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=PARAMETERS)
def test_any_parameters_get_an_answer_never_a_server_error(client, params):
    make_course("Always here", category_name="Code", tags=["Py"])
    # 400: a NUL character, refused at the door (RejectNulMiddleware)
    assert client.get("/courses/", params).status_code in (200, 400)
    assert client.get("/api/v1/catalog", params).status_code in (200, 400, 422)


def test_unknown_category_or_tag_finds_nothing(client):
    make_course("Anything", category_name="Real")
    response = client.get("/courses/", {"category": "emptied-since", "tag": "gone"})
    assert response.status_code == 200
    assert "No courses found" in text(response)
