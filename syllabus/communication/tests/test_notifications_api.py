"""The notifications API: list (paginated, unread filter), mark read, email preference."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.communication.models import Notification, NotificationPreference
from syllabus.config.api import api
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/notifications"


@pytest.fixture
def person(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _add(user, count=1, **fields):
    return [
        Notification.objects.create(recipient=user, kind="announcement", title=f"N{i}", **fields)
        for i in range(count)
    ]


def _post(client, path, data):
    return client.post(path, data=json.dumps(data), content_type="application/json")


def test_anonymous_requests_get_401(client):
    response = client.get(BASE)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_list_returns_only_own_notifications_newest_first(client, person):
    Notification.objects.create(recipient=UserFactory(), kind="k", title="Not yours")
    older, newer = _add(person, 2, url="/courses/")
    body = client.get(BASE).json()
    assert body["count"] == 2 and body["unread"] == 2
    assert [r["id"] for r in body["results"]] == [newer.public_id, older.public_id]
    assert body["results"][0] == {
        "id": newer.public_id,
        "kind": "announcement",
        "title": "N1",
        "body": "",
        "url": "/courses/",
        "created_at": body["results"][0]["created_at"],
        "read_at": None,
        "is_read": False,
    }


def test_list_filters_unread_and_paginates(client, person):
    notes = _add(person, 55)
    Notification.objects.filter(pk=notes[0].pk).update(read_at="2026-01-01T00:00Z")
    first = client.get(BASE).json()
    assert (first["count"], first["pages"], len(first["results"])) == (55, 2, 50)
    second = client.get(BASE + "?page=2").json()
    assert len(second["results"]) == 5
    unread = client.get(BASE + "?unread=true").json()
    assert unread["count"] == 54 and unread["unread"] == 54
    assert client.get(BASE + "?page=0").status_code == 422


def test_list_uses_a_bounded_number_of_queries(client, person):
    _add(person, 3)
    client.get(BASE)
    with CaptureQueriesContext(connection) as few:
        client.get(BASE)
    _add(person, 80)
    with CaptureQueriesContext(connection) as many:
        client.get(BASE)
    assert len(many) <= len(few)


def test_mark_some_read(client, person):
    a, _ = _add(person, 2)
    response = _post(client, BASE + "/read", {"ids": [a.public_id]})
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    a.refresh_from_db()
    assert a.read_at is not None


def test_mark_all_read(client, person):
    _add(person, 3)
    assert _post(client, BASE + "/read", {"all": True}).json() == {"marked": 3, "unread": 0}


@pytest.mark.parametrize("payload", [{}, {"ids": [], "all": False}, {"ids": ["x"], "all": True}])
def test_mark_read_needs_ids_or_all_but_not_both(client, person, payload):
    _add(person)
    response = _post(client, BASE + "/read", payload)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_mark_read_with_another_persons_id_marks_nothing(client, person):
    (mine,) = _add(person)
    (theirs,) = _add(UserFactory())
    response = _post(client, BASE + "/read", {"ids": [mine.public_id, theirs.public_id]})
    assert response.status_code == 422
    assert theirs.public_id in response.json()["detail"]
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_mark_read_refuses_too_many_ids(client, person):
    response = _post(client, BASE + "/read", {"ids": [f"ntf_{i}" for i in range(501)]})
    assert response.status_code == 422


def test_mark_read_refuses_a_body_that_is_not_json(client, person):
    response = client.post(BASE + "/read", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_preferences_read_and_write(client, person):
    assert client.get(BASE + "/preferences").json() == {"email_mode": "immediate"}
    response = client.put(
        BASE + "/preferences",
        data=json.dumps({"email_mode": "off"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"email_mode": "off"}
    assert NotificationPreference.objects.get(user=person).email_mode == "off"


def test_an_unknown_email_mode_is_a_422(client, person):
    response = client.put(
        BASE + "/preferences",
        data=json.dumps({"email_mode": "hourly"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not NotificationPreference.objects.exists()


def test_every_operation_is_documented_with_a_summary():
    paths = api.get_openapi_schema()["paths"]
    for path in (BASE, BASE + "/read", BASE + "/preferences"):
        for operation in paths[path].values():
            assert operation["summary"]
