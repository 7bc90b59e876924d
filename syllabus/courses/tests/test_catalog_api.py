"""The catalog API: search and filters, a course's page with its published outline, tags."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.tokens import token_create
from syllabus.config.api import api
from syllabus.courses.models import Course, Lesson, Module
from syllabus.courses.tests.catalog_helpers import make_course, member
from tests.factories import UserFactory
from tests.permissions.areas.catalog import PNG

pytestmark = pytest.mark.django_db

OPERATIONS = [
    ("get", "/api/v1/catalog"),
    ("get", "/api/v1/catalog/{public_id}"),
    ("get", "/api/v1/categories"),
    ("post", "/api/v1/categories"),
    ("patch", "/api/v1/categories/{slug}"),
    ("delete", "/api/v1/categories/{slug}"),
    ("get", "/api/v1/tags"),
]


def test_every_operation_is_documented():
    paths = api.get_openapi_schema()["paths"]
    for method, path in OPERATIONS:
        operation = paths[path][method]
        assert operation["summary"], (method, path)
        assert "catalog" in operation["tags"]


def test_catalog_needs_no_account(client):
    make_course("Python basics", summary="First steps", category_name="Code", tags=["Python"])
    make_course("Draft", status=Course.Status.DRAFT)
    body = client.get("/api/v1/catalog").json()
    assert body["count"] == 1 and body["pages"] == 1 and body["page"] == 1
    [item] = body["items"]
    assert item["title"] == "Python basics"
    assert item["category"] == {"name": "Code", "slug": "code"}
    assert item["tags"] == [{"name": "Python", "slug": "python"}]
    assert item["url"].endswith(f"/courses/{item['public_id']}/")
    assert item["image_url"] is None


def test_catalog_search_filters_and_pages(client):
    for i in range(5):
        make_course(f"Data {i}", level="advanced", tags=["SQL"])
    make_course("Cooking", capacity=2, learners=2)
    body = client.get("/api/v1/catalog", {"q": "data", "page_size": 2, "page": 3}).json()
    assert (body["count"], body["pages"], body["page"], body["page_size"]) == (5, 3, 3, 2)
    assert [i["title"] for i in body["items"]] == ["Data 4"]
    assert client.get("/api/v1/catalog", {"level": "advanced"}).json()["count"] == 5
    assert client.get("/api/v1/catalog", {"tag": "sql"}).json()["count"] == 5
    assert client.get("/api/v1/catalog", {"tag": "unknown"}).json()["count"] == 0
    has_places = client.get("/api/v1/catalog", {"has_places": "true"}).json()
    assert "Cooking" not in [i["title"] for i in has_places["items"]]


@pytest.mark.parametrize(
    "params",
    [{"page_size": 101}, {"page_size": 0}, {"page": 0}, {"level": "wizard"}, {"q": "x" * 201}],
)
def test_catalog_bad_parameters_are_422(client, params):
    response = client.get("/api/v1/catalog", params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_catalog_bad_token_is_refused_even_though_anonymous_may_read(client):
    response = client.get("/api/v1/catalog", HTTP_AUTHORIZATION="Bearer syl_not_a_token")
    assert response.status_code == 401


def test_catalog_accepts_a_token(client):
    user = UserFactory()
    make_course("Token course")
    token = token_create(actor=user, user=user, name="t", scopes=[], days=1)
    response = client.get("/api/v1/catalog", HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.fixture
def course():
    course = make_course("Outlined", modules=1, lessons=2, capacity=5, learners=1)
    module = Module.objects.get(course=course)
    first, second = Lesson.objects.filter(course=course).order_by("position")
    second.prerequisite = first
    second.save()
    Lesson.objects.create(course=course, module=module, title="Draft lesson", position=7)
    Module.objects.create(course=course, title="Draft module", position=2)
    course.prerequisites.add(make_course("Basics"))
    course.image.save("cover.png", ContentFile(PNG), save=True)
    return course


def test_course_detail_shows_the_published_outline(client, course):
    body = client.get(f"/api/v1/catalog/{course.public_id}").json()
    assert body["title"] == "Outlined" and body["status"] == "published"
    assert body["places_left"] == 4 and body["capacity"] == 5
    assert [p["title"] for p in body["prerequisites"]] == ["Basics"]
    assert [m["title"] for m in body["outline"]] == ["Module 1"]
    lessons = body["outline"][0]["lessons"]
    assert [lesson["title"] for lesson in lessons] == ["Lesson 1.1", "Lesson 1.2"]
    assert lessons[1]["prerequisite"] == lessons[0]["public_id"]
    assert "id" not in lessons[0]  # public ids only
    assert body["image_url"].startswith("http://testserver/courses/")


def test_course_detail_hides_drafts(client):
    draft = make_course("Draft", status=Course.Status.DRAFT)
    response = client.get(f"/api/v1/catalog/{draft.public_id}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    teacher = UserFactory()
    member(draft, teacher, "instructor")
    client.force_login(teacher)
    assert client.get(f"/api/v1/catalog/{draft.public_id}").json()["status"] == "draft"
    assert client.get("/api/v1/catalog/crs_nothing").status_code == 404


def test_tags_list(client):
    make_course("A", tags=["Python", "SQL"])
    make_course("B", tags=["Python"])
    make_course("C", tags=["Hidden"], status=Course.Status.DRAFT)
    body = client.get("/api/v1/tags").json()
    assert [(t["slug"], t["course_count"]) for t in body["items"]] == [
        ("hidden", 0),
        ("python", 2),
        ("sql", 1),
    ]
    assert client.get("/api/v1/tags", {"page_size": 1, "page": 2}).json()["items"][0]["slug"] == (
        "python"
    )


def _queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_catalog_api_query_count_does_not_grow_with_courses(client):
    for i in range(3):
        make_course(f"Few {i}", tags=["A"], instructors=1, modules=1, lessons=1)
    few = _queries(client, "/api/v1/catalog?page_size=100")
    for i in range(30):
        make_course(f"Many {i}", tags=["A", "B"], instructors=2, modules=2, lessons=2)
    assert _queries(client, "/api/v1/catalog?page_size=100") == few


def test_course_detail_api_query_count_does_not_grow_with_content(client):
    small = make_course("Small", modules=1, lessons=1, instructors=1)
    big = make_course("Big", modules=10, lessons=5, instructors=4, tags=["A", "B", "C"])
    assert _queries(client, f"/api/v1/catalog/{big.public_id}") == _queries(
        client, f"/api/v1/catalog/{small.public_id}"
    )


def test_category_and_tag_lists_have_bounded_queries(client):
    for i in range(3):
        make_course(f"C{i}", category_name=f"Cat {i}", tags=[f"T{i}"])
    few = (_queries(client, "/api/v1/categories"), _queries(client, "/api/v1/tags"))
    for i in range(3, 30):
        make_course(f"C{i}", category_name=f"Cat {i}", tags=[f"T{i}"])
    assert (_queries(client, "/api/v1/categories"), _queries(client, "/api/v1/tags")) == few


@pytest.mark.parametrize(
    ("url", "status"),
    [
        # NUL anywhere: refused at the door (core.middleware.RejectNulMiddleware)
        ("/api/v1/catalog?category=%00", 400),
        ("/api/v1/catalog?tag=a%00b", 400),
        ("/api/v1/catalog?category=not%20a%20slug", 422),
        ("/api/v1/catalog?q=a%00b", 400),
        ("/api/v1/catalog/crs_%00", 400),
        ("/api/v1/catalog/not-an-id", 404),
        ("/courses/?q=a%00b", 400),
        ("/courses/?category=%00", 400),
    ],
)
def test_nul_and_junk_in_parameters_are_4xx_never_500(client, url, status):
    # PostgreSQL refuses NUL in text: it must never reach a query.
    assert client.get(url).status_code == status


def test_catalog_sort_parameter(client):
    make_course("Zebra")
    make_course("Aardvark")
    body = client.get("/api/v1/catalog", {"sort": "title"}).json()
    assert [i["title"] for i in body["items"]] == ["Aardvark", "Zebra"]
    assert client.get("/api/v1/catalog", {"sort": "random"}).status_code == 422
