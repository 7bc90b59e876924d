"""Categories: the audited services, the admin pages and the API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Category, Course
from syllabus.courses.search import search
from syllabus.courses.services_catalog import category_create, category_delete, category_update
from syllabus.courses.tests.catalog_helpers import make_course
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(site_roles=["admin"])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("chain_seq"))


# --- Services ---------------------------------------------------------------------------------


def test_create_makes_a_slug_and_is_audited(admin):
    category = category_create(actor=admin, name="  Data   and analytics ", position=2)
    assert (category.name, category.slug, category.position) == (
        "Data and analytics",
        "data-and-analytics",
        2,
    )
    [event] = events("category.created")
    assert event.actor == admin and event.details["slug"] == "data-and-analytics"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Ok", "slug": "not a slug!"}, "slug"),
        ({"name": "Ok", "description": "d" * 301}, "description"),
        ({"name": "Ok", "position": -1}, "position"),
        ({"name": "existing"}, "name"),  # case-insensitive duplicate
        ({"name": "Other", "slug": "existing"}, "slug"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(admin, fields, field):
    Category.objects.create(name="Existing", slug="existing")
    with pytest.raises(ValidationError) as caught:
        category_create(actor=admin, **fields)
    assert field in caught.value.message_dict
    assert Category.objects.count() == 1
    assert events("category.created") == []


def test_only_course_editors_manage_categories():
    for slug in ("manager", "auditor", "security_officer"):
        with pytest.raises(PermissionDenied):
            category_create(actor=UserFactory(site_roles=[slug]), name="Nope")
    assert not Category.objects.exists()


def test_update_records_the_changes(admin):
    category = category_create(actor=admin, name="Arts")
    category_update(actor=admin, category=category, name="Fine arts", description="Paint")
    [event] = events("category.updated")
    assert event.details["changes"]["name"] == {"from": "Arts", "to": "Fine arts"}
    assert event.details["changes"]["description"] == {"from": "", "to": "Paint"}
    category.refresh_from_db()
    assert category.slug == "arts"  # the address stays unless changed


def test_update_without_changes_records_nothing(admin):
    category = category_create(actor=admin, name="Arts")
    category_update(actor=admin, category=category, name="Arts")
    assert events("category.updated") == []


def test_rename_updates_the_search_text_of_its_courses(admin):
    course = make_course("Painting", category_name="Arts")
    assert course.category is not None
    category_update(actor=admin, category=course.category, name="Visual crafts")
    assert [c.title for c in search(Course.objects.all(), "crafts")] == ["Painting"]
    assert list(search(Course.objects.all(), "arts")) == []


def test_delete_refuses_a_category_with_courses(admin):
    course = make_course("Drafty", category_name="Busy", status=Course.Status.DRAFT)
    assert course.category is not None
    with pytest.raises(ValidationError, match="still has 1 course"):
        category_delete(actor=admin, category=course.category)
    assert Category.objects.filter(slug="busy").exists()
    assert events("category.deleted") == []


def test_delete_an_empty_category(admin):
    category = category_create(actor=admin, name="Empty")
    category_delete(actor=admin, category=category)
    assert not Category.objects.filter(name="Empty").exists()
    [event] = events("category.deleted")
    assert event.details == {"name": "Empty", "slug": "empty"}


# --- Pages ------------------------------------------------------------------------------------


def test_categories_page_lists_and_adds(client, admin):
    make_course("One", category_name="Science")
    client.force_login(admin)
    page = client.get("/courses/categories/").content.decode()
    assert "<caption>Categories in catalog order</caption>" in page
    assert "Science" in page
    response = client.post("/courses/categories/", {"name": "History", "position": "1"})
    assert response.status_code == 302
    assert Category.objects.filter(slug="history").exists()
    assert "Category History added." in client.get("/courses/categories/").content.decode()


def test_categories_page_empty_state(client, admin):
    client.force_login(admin)
    page = client.get("/courses/categories/").content.decode()
    assert "No categories yet" in page


def test_categories_form_errors_are_shown_with_400(client, admin):
    Category.objects.create(name="History", slug="history")
    client.force_login(admin)
    response = client.post("/courses/categories/", {"name": "history", "position": "0"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    response = client.post("/courses/categories/", {"name": "", "position": "x"})
    assert response.status_code == 400
    assert Category.objects.count() == 1


def test_edit_page(client, admin):
    Category.objects.create(name="History", slug="history")
    client.force_login(admin)
    assert 'value="History"' in client.get("/courses/categories/history/edit/").content.decode()
    response = client.post(
        "/courses/categories/history/edit/",
        {"name": "World history", "slug": "world-history", "position": "3"},
    )
    assert response.status_code == 302
    assert Category.objects.get().slug == "world-history"
    assert client.get("/courses/categories/history/edit/").status_code == 404


def test_delete_asks_for_confirmation_first(client, admin):
    Category.objects.create(name="Old", slug="old")
    client.force_login(admin)
    page = client.get("/courses/categories/old/delete/").content.decode()
    assert "Delete the category Old?" in page and 'method="post"' in page
    assert Category.objects.filter(slug="old").exists()
    assert client.post("/courses/categories/old/delete/").status_code == 302
    assert not Category.objects.filter(slug="old").exists()


def test_delete_page_explains_why_a_used_category_stays(client, admin):
    make_course("Uses it", category_name="Kept")
    client.force_login(admin)
    page = client.get("/courses/categories/kept/delete/").content.decode()
    assert "cannot be deleted" in page and "Delete Kept</button>" not in page
    response = client.post("/courses/categories/kept/delete/", follow=True)
    assert "still has 1 course" in response.content.decode()
    assert Category.objects.filter(slug="kept").exists()


# --- API --------------------------------------------------------------------------------------


def _json(client, method: str, url: str, data: dict | None = None):
    response = getattr(client, method)(
        url, data=json.dumps(data or {}), content_type="application/json"
    )
    return response, (response.json() if response.content else None)


def test_api_lists_categories_with_published_counts(client):
    make_course("A", category_name="Data")
    make_course("B", category_name="Data", status=Course.Status.DRAFT)
    Category.objects.create(name="Empty", slug="empty", position=9)
    body = client.get("/api/v1/categories").json()
    assert body["count"] == 2 and body["pages"] == 1
    assert [(c["slug"], c["course_count"]) for c in body["items"]] == [
        ("data", 1),
        ("empty", 0),
    ]
    assert client.get("/api/v1/categories", {"page_size": 101}).status_code == 422


def test_api_create_update_delete(client, admin):
    client.force_login(admin)
    response, body = _json(client, "post", "/api/v1/categories", {"name": "Maths"})
    assert response.status_code == 201 and body["slug"] == "maths"
    response, body = _json(
        client, "patch", "/api/v1/categories/maths", {"description": "Numbers", "position": 4}
    )
    assert response.status_code == 200
    assert (body["description"], body["position"], body["name"]) == ("Numbers", 4, "Maths")
    response, _ = _json(client, "delete", "/api/v1/categories/maths")
    assert response.status_code == 204
    actions = AuditEvent.objects.filter(action__startswith="category.").order_by("pk")
    assert [e.action for e in actions] == [
        "category.created",
        "category.updated",
        "category.deleted",
    ]


def test_api_refusals(client, admin):
    make_course("Busy", category_name="Busy")
    client.force_login(admin)
    response, body = _json(client, "delete", "/api/v1/categories/busy")
    assert response.status_code == 409 and body["code"] == "category_in_use"
    response, body = _json(client, "post", "/api/v1/categories", {"name": "busy"})
    assert response.status_code == 422 and "already exists" in body["detail"]
    response, body = _json(client, "post", "/api/v1/categories", {"name": "x" * 500})
    assert response.status_code == 422 and body["code"] == "invalid"
    response, body = _json(client, "patch", "/api/v1/categories/nope", {"name": "New"})
    assert response.status_code == 404 and body["code"] == "not_found"
    response, body = _json(client, "patch", "/api/v1/categories/busy", {"slug": "Bad slug"})
    assert response.status_code == 422
    assert Category.objects.get().slug == "busy"


def test_api_token_needs_the_course_edit_scope(client, admin):
    from syllabus.accounts.tokens import token_create

    narrow = token_create(actor=admin, user=admin, name="narrow", scopes=["grade.view"], days=1)
    response = client.post(
        "/api/v1/categories",
        data=json.dumps({"name": "Via token"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {narrow.plain}",
    )
    assert response.status_code == 403
    assert not Category.objects.exists()


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("post", "/api/v1/categories", {"name": "a\x00b"}, 400),  # NUL: refused at the door
        ("post", "/api/v1/categories", {"name": "Ok", "description": "bell\x07"}, 422),
        ("patch", "/api/v1/categories/a%00", {"name": "x"}, 400),
        ("delete", "/api/v1/categories/a%00", {}, 400),
    ],
)
def test_control_characters_are_refused(client, admin, method, url, data, status):
    client.force_login(admin)
    response, body = _json(client, method, url, data)
    assert response.status_code == status, body
    assert not Category.objects.exists()


def test_form_refuses_nul(client, admin):
    client.force_login(admin)
    response = client.post("/courses/categories/", {"name": "a\x00b", "position": "0"})
    assert response.status_code == 400
    assert not Category.objects.exists()


def test_the_admin_shows_catalog_models_read_only(client):
    make_course("In admin", category_name="Shown", tags=["T"])
    client.force_login(UserFactory(site_roles=["admin"], is_staff=True))
    for page in ("category", "tag", "course"):
        assert client.get(f"/admin/courses/{page}/").status_code == 200
        assert client.get(f"/admin/courses/{page}/add/").status_code == 403
    category = Category.objects.get()
    response = client.post(f"/admin/courses/category/{category.pk}/change/", {"name": "X"})
    assert response.status_code == 403
    assert Category.objects.get().name == "Shown"
    page = client.get("/admin/courses/category/").content.decode()
    assert "/courses/categories/shown/edit/" in page
