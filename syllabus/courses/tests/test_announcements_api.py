"""The announcements API: list, post, read, change, delete; permissions, token scopes, bad
input, sanitised Markdown, query budget, and a mail server that is down."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.models import Role
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.communication.models import Notification
from syllabus.config.api import api
from syllabus.core.breakers import breakers_forget
from syllabus.courses.models import Announcement, Course, CourseMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return Course.objects.create(title="Physics", slug="physics", status=Course.Status.PUBLISHED)


def _member(course, role):
    user = UserFactory()
    CourseMembership.objects.create(course=course, user=user, role=Role.objects.get(slug=role))
    return user


@pytest.fixture
def teacher(course):
    return _member(course, "instructor")


@pytest.fixture
def learner(course):
    return _member(course, "learner")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(client: Client, method: str, path: str, data: Any) -> Any:
    return getattr(client, method)(path, data=json.dumps(data), content_type="application/json")


def _list(course) -> str:
    return f"/api/v1/courses/{course.public_id}/announcements"


def _one(announcement) -> str:
    return f"/api/v1/announcements/{announcement.public_id}"


def test_post_then_read_as_a_learner(course, teacher, learner):
    response = _send(
        _as(teacher), "post", _list(course), {"title": "Lab", "body": "Bring **goggles**."}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Lab"
    assert body["body_html"] == "<p>Bring <strong>goggles</strong>.</p>\n"
    assert body["course_id"] == course.public_id
    assert body["author"] == teacher.get_full_name()
    assert Notification.objects.get().recipient == learner

    reader = _as(learner)
    page = reader.get(_list(course)).json()
    assert page["count"] == 1 and page["results"][0]["id"] == body["id"]
    assert reader.get(f"/api/v1/announcements/{body['id']}").json()["title"] == "Lab"


def test_a_learner_cannot_post(course, learner):
    response = _send(_as(learner), "post", _list(course), {"title": "Hi", "body": "Hi"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Announcement.objects.exists()


def test_an_outsider_cannot_read(course, teacher):
    (a,) = _make(course, teacher)
    outsider = _as(UserFactory())
    assert outsider.get(_list(course)).status_code == 403
    assert outsider.get(_one(a)).status_code == 403


def test_a_hidden_course_and_unknown_ids_are_404(teacher):
    draft = Course.objects.create(title="Draft", slug="draft", status=Course.Status.DRAFT)
    (a,) = _make(draft, teacher)
    outsider = _as(UserFactory())
    assert outsider.get(_list(draft)).status_code == 404
    assert outsider.get(_one(a)).status_code == 404
    assert _send(outsider, "patch", _one(a), {"title": "x"}).status_code == 404
    assert outsider.get("/api/v1/announcements/ann_nope").json()["code"] == "not_found"
    assert _as(teacher).get("/api/v1/courses/crs_nope/announcements").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "", "body": "x"},
        {"title": "   ", "body": "x"},
        {"title": "x" * 201, "body": "x"},
        {"title": "x", "body": ""},
        {"title": "x"},
        {"title": "x", "body": "y" * 20_001},
        {"title": 5, "body": ["not", "text"]},
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(course, teacher, payload):
    response = _send(_as(teacher), "post", _list(course), payload)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not Announcement.objects.exists()
    assert not AuditEvent.objects.filter(action="announcement.posted").exists()


def test_malicious_markdown_comes_back_sanitised(course, teacher):
    body = "<script>alert(1)</script>[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    html = _send(_as(teacher), "post", _list(course), {"title": "X", "body": body}).json()[
        "body_html"
    ]
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


def test_patch_and_delete(course, teacher):
    (a,) = _make(course, teacher)
    client = _as(teacher)
    response = _send(client, "patch", _one(a), {"body": "Changed *body*"})
    assert response.status_code == 200
    assert response.json()["body_html"] == "<p>Changed <em>body</em></p>\n"
    assert response.json()["title"] == a.title
    assert _send(client, "patch", _one(a), {}).status_code == 422
    assert client.delete(_one(a)).status_code == 204
    assert client.delete(_one(a)).status_code == 404
    events = AuditEvent.objects.filter(action__startswith="announcement.").order_by("occurred_at")
    assert [e.action for e in events] == [
        "announcement.updated",
        "announcement.deleted",
    ]


def test_a_learner_cannot_patch_or_delete(course, teacher, learner):
    (a,) = _make(course, teacher)
    client = _as(learner)
    assert _send(client, "patch", _one(a), {"title": "Hacked"}).status_code == 403
    assert client.delete(_one(a)).status_code == 403
    a.refresh_from_db()
    assert a.title != "Hacked"


def test_a_token_without_the_course_edit_scope_cannot_post(course, teacher):
    token = token_create(actor=teacher, user=teacher, name="read", scopes=[], days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.plain}")
    assert client.get(_list(course)).status_code == 200  # reading needs no scope
    response = _send(client, "post", _list(course), {"title": "x", "body": "y"})
    assert response.status_code == 403
    scoped = token_create(actor=teacher, user=teacher, name="w", scopes=["course.edit"], days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {scoped.plain}")
    assert _send(client, "post", _list(course), {"title": "x", "body": "y"}).status_code == 201


def test_the_list_is_paginated_with_a_bounded_number_of_queries(course, teacher):
    _make(course, teacher, 3)
    client = _as(teacher)
    client.get(_list(course))
    with CaptureQueriesContext(connection) as few:
        client.get(_list(course))
    _make(course, UserFactory(), 40)
    with CaptureQueriesContext(connection) as many:
        page = client.get(_list(course)).json()
    assert len(many) <= len(few)
    assert (page["count"], page["pages"], len(page["results"])) == (43, 3, 20)
    assert len(client.get(_list(course) + "?page=3").json()["results"]) == 3


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPConnectError(421, "mail server is down")


def test_posting_succeeds_while_the_mail_server_is_down(course, teacher, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    learners = [_member(course, "learner") for _ in range(3)]
    breakers_forget()
    try:
        response = _send(_as(teacher), "post", _list(course), {"title": "T", "body": "B"})
    finally:
        breakers_forget()
    assert response.status_code == 201
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        u.pk for u in learners
    }
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


def test_every_operation_is_documented_with_a_summary():
    paths = api.get_openapi_schema()["paths"]
    operations = [
        *paths["/api/v1/courses/{public_id}/announcements"].values(),
        *paths["/api/v1/announcements/{public_id}"].values(),
    ]
    assert len(operations) == 5
    assert all(op["summary"] for op in operations)


def _make(course, author, count=1):
    return [
        Announcement.objects.create(
            course=course, author=author, title=f"A{i}", body="b", body_html="<p>b</p>"
        )
        for i in range(count)
    ]
