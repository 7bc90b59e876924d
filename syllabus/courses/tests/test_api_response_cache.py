"""The catalog API's answers are cached per audience: the second read runs no course query,
a change is seen on the next read, and nobody is handed an answer meant for people who see
other courses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from syllabus.courses import api_catalog
from syllabus.courses.cache import invalidate_course
from syllabus.courses.models import Course
from syllabus.courses.tests.catalog_helpers import make_course, member
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _titles(client: Client, path: str = "/api/v1/catalog") -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def _course_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum('"courses_course"' in query["sql"] for query in queries.captured_queries)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/catalog", "/api/v1/catalog?q=python", "/api/v1/categories", "/api/v1/tags"],
)
def test_a_second_read_runs_no_course_query(client, path):
    make_course("Python basics", category_name="Code", tags=["Python"])
    first = _course_queries(client, path)
    assert first > 0 or path.endswith(("categories", "tags"))
    assert _course_queries(client, path) == 0


def test_a_course_read_is_cached_and_a_missing_one_is_not(client):
    course = make_course("Python basics", modules=1, lessons=2)
    path = f"/api/v1/catalog/{course.public_id}"
    assert client.get(path).json()["title"] == "Python basics"
    assert _course_queries(client, path) == 0
    assert client.get("/api/v1/catalog/c_nosuchcourse").status_code == 404
    assert client.get("/api/v1/catalog/c_nosuchcourse").status_code == 404


def test_a_change_is_seen_on_the_next_read(client, django_capture_on_commit_callbacks):
    course = make_course("Python basics")
    assert _titles(client) == ["Python basics"]
    with django_capture_on_commit_callbacks(execute=True):
        Course.objects.filter(pk=course.pk).update(title="Python for everyone")
        invalidate_course(course.pk)
    assert _titles(client) == ["Python for everyone"]
    assert client.get(f"/api/v1/catalog/{course.public_id}").json()["title"] == (
        "Python for everyone"
    )


def test_a_new_category_is_listed_at_once(client, django_capture_on_commit_callbacks):
    make_course("Python basics", category_name="Code")
    assert [c["name"] for c in client.get("/api/v1/categories").json()["items"]] == ["Code"]
    editor = UserFactory(site_roles=["admin"])
    staff = Client()
    staff.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        created = staff.post(
            "/api/v1/categories",
            {"name": "Data", "slug": "data"},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    names = [c["name"] for c in client.get("/api/v1/categories").json()["items"]]
    assert names == ["Code", "Data"]


@pytest.mark.parametrize("anonymous_first", [True, False])
def test_a_draft_member_and_the_public_never_share_an_answer(anonymous_first):
    draft = make_course("Draft course", status=Course.Status.DRAFT)
    insider = UserFactory()
    member(draft, insider, "learner")
    public, inside = Client(), Client()
    inside.force_login(insider)
    path = f"/api/v1/catalog/{draft.public_id}"
    order = [(public, 404), (inside, 200)]
    for client, status in order if anonymous_first else reversed(order):
        assert client.get(path).status_code == status


def test_editors_share_an_answer_that_learners_never_get():
    draft = make_course("Draft course", status=Course.Status.DRAFT)
    path = f"/api/v1/catalog/{draft.public_id}"
    editor, learner = Client(), Client()
    editor.force_login(UserFactory(site_roles=["admin"]))
    learner.force_login(UserFactory())
    assert editor.get(path).json()["title"] == "Draft course"
    assert learner.get(path).status_code == 404
    second_editor = Client()
    second_editor.force_login(UserFactory(site_roles=["admin"]))
    assert _course_queries(second_editor, path) == 0


def test_each_language_has_its_own_answer(client):
    make_course("Python basics", level=Course.Level.BEGINNER)
    english = client.get("/api/v1/catalog", HTTP_ACCEPT_LANGUAGE="en").json()
    spanish = client.get("/api/v1/catalog", HTTP_ACCEPT_LANGUAGE="es").json()
    assert english["items"][0]["title"] == spanish["items"][0]["title"] == "Python basics"
    assert _course_queries(client, "/api/v1/catalog") == 0  # English again: cached


@pytest.mark.parametrize(("seconds", "runs"), [(60, 1), (0, 2)])
def test_zero_seconds_turns_the_cache_off(client, settings, monkeypatch, seconds, runs):
    settings.API_CACHE_SECONDS = seconds
    make_course("Python basics")
    calls = []
    original = api_catalog.catalog_page

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(api_catalog, "catalog_page", counted)
    assert _titles(client) == _titles(client) == ["Python basics"]
    assert len(calls) == runs
