"""Authoring API: every endpoint, who may call it, bad input answered 4xx with nothing
written, uploads refused with 400 and no stored file, bounded query counts."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.models import Role
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership, Lesson, Module
from syllabus.courses.tests.authoring_helpers import (
    MP4,
    PDF,
    VTT,
    assert_safe_html,
    course_with_instructor,
    png_bytes,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def client(instructor):
    client = Client()
    client.force_login(instructor)
    return client


def send(client, method, path, data=None):
    return getattr(client, method)(
        f"{API}{path}", data=json.dumps(data or {}), content_type="application/json"
    )


def put_file(client, path, name, data, **fields):
    """A multipart PUT, as API clients send uploads."""
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, data), **fields})
    return client.put(f"{API}{path}", data=body, content_type=MULTIPART_CONTENT)


def build_course(client, course):
    module = send(client, "post", f"/courses/{course.public_id}/modules", {"title": "Week 1"})
    assert module.status_code == 201, module.content
    module_id = module.json()["public_id"]
    lesson = send(
        client,
        "post",
        f"/modules/{module_id}/lessons",
        {"title": "Welcome", "kind": "text", "body": "Hello"},
    )
    assert lesson.status_code == 201, lesson.content
    return module_id, lesson.json()["public_id"]


# --- The instructor's journey ------------------------------------------------------------


def test_create_build_publish_and_copy_a_course(client, course):
    module_id, lesson_id = build_course(client, course)
    assert send(client, "post", f"/courses/{course.public_id}/publish").status_code == 422
    assert send(client, "post", f"/modules/{module_id}/publish").status_code == 200
    published = send(client, "post", f"/lessons/{lesson_id}/publish")
    assert published.status_code == 200 and published.json()["is_published"]
    response = send(client, "post", f"/courses/{course.public_id}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"

    listing = client.get(f"{API}/courses/{course.public_id}/modules").json()
    assert listing["count"] == 1
    assert listing["items"][0]["lessons"][0]["public_id"] == lesson_id

    copy = send(client, "post", f"/courses/{course.public_id}/copy", {})
    assert copy.status_code == 201
    assert copy.json()["title"] == "Authoring 101 (copy)"
    assert copy.json()["status"] == "draft"
    assert copy.json()["copied_from"] == course.public_id

    assert send(client, "post", f"/courses/{course.public_id}/unpublish").json()["status"] == (
        "draft"
    )
    assert send(client, "post", f"/courses/{course.public_id}/archive").json()["status"] == (
        "archived"
    )


def test_create_course_needs_course_create(client):
    assert send(client, "post", "/courses", {"title": "Mine"}).status_code == 403
    admin = UserFactory(site_roles=["admin"])
    admin_client = Client()
    admin_client.force_login(admin)
    response = send(admin_client, "post", "/courses", {"title": "New one", "summary": "S"})
    assert response.status_code == 201
    created = Course.objects.get(public_id=response.json()["public_id"])
    assert created.memberships.get().user == admin


def test_patch_course_settings(client, course):
    response = send(
        client,
        "patch",
        f"/courses/{course.public_id}",
        {
            "title": "Better",
            "description": "**bold** <script>x</script>",
            "tags": ["Python", "Data"],
            "level": "advanced",
            "enrolment": "key",
            "enrolment_key": "secret",
            "capacity": 30,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Better"
    assert "<strong>bold</strong>" in body["description_html"]
    assert "<script" not in body["description_html"]
    assert body["tags"] == ["Data", "Python"]
    assert body["enrolment"] == "key" and body["capacity"] == 30


@pytest.mark.parametrize(
    "payload",
    [
        {"title": ""},
        {"level": "expert"},
        {"enrolment": "key", "enrolment_key": ""},
        {"completion_rule": "pass_grade"},
        {"capacity": -1},
        {"category": "no-such-category"},
        {"prerequisites": ["crs_nope"]},
        {"available_from": "2030-01-02T00:00Z", "available_until": "2030-01-01T00:00Z"},
    ],
)
def test_patch_course_refuses_bad_input_and_writes_nothing(client, course, payload):
    events = AuditEvent.objects.count()
    response = send(client, "patch", f"/courses/{course.public_id}", payload)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert Course.objects.get(pk=course.pk).title == "Authoring 101"
    assert AuditEvent.objects.count() == events


def test_prerequisite_cycle_is_422(client, course, instructor):
    other = course_with_instructor(instructor, "Other")
    ok = send(client, "patch", f"/courses/{other.public_id}", {"prerequisites": [course.public_id]})
    assert ok.status_code == 200
    cycle = send(
        client, "patch", f"/courses/{course.public_id}", {"prerequisites": [other.public_id]}
    )
    assert cycle.status_code == 422 and "cycle" in cycle.json()["detail"]


def test_modules_edit_move_publish_delete(client, course):
    ids = [
        send(client, "post", f"/courses/{course.public_id}/modules", {"title": f"M{i}"}).json()[
            "public_id"
        ]
        for i in range(3)
    ]
    moved = send(client, "post", f"/modules/{ids[2]}/move", {"direction": "up"})
    assert moved.status_code == 200 and moved.json()["position"] == 1
    assert send(client, "post", f"/modules/{ids[0]}/move", {"direction": "up"}).status_code == 422
    assert send(client, "post", f"/modules/{ids[0]}/move", {"direction": "left"}).status_code == 422
    patched = send(client, "patch", f"/modules/{ids[0]}", {"title": "Intro", "summary": None})
    assert patched.json()["title"] == "Intro"
    assert send(client, "post", f"/modules/{ids[0]}/publish").json()["is_published"]
    assert not send(client, "post", f"/modules/{ids[0]}/unpublish").json()["is_published"]
    assert send(client, "delete", f"/modules/{ids[1]}").status_code == 204
    assert list(course.modules.values_list("title", "position")) == [("Intro", 0), ("M2", 1)]


def test_lessons_edit_move_prerequisite_delete(client, course):
    module_id, first = build_course(client, course)
    second = send(
        client, "post", f"/modules/{module_id}/lessons", {"title": "Two", "kind": "text"}
    ).json()["public_id"]
    got = client.get(f"{API}/lessons/{first}")
    assert got.status_code == 200 and got.json()["body_html"] == "<p>Hello</p>\n"
    patched = send(client, "patch", f"/lessons/{second}", {"prerequisite": first, "body": "x"})
    assert patched.status_code == 200 and patched.json()["prerequisite"] == first
    cycle = send(client, "patch", f"/lessons/{first}", {"prerequisite": second})
    assert cycle.status_code == 422
    assert (
        send(client, "patch", f"/lessons/{first}", {"prerequisite": "les_nope"}).status_code == 422
    )
    moved = send(client, "post", f"/lessons/{second}/move", {"direction": "up"})
    assert moved.json()["position"] == 0
    listing = client.get(f"{API}/modules/{module_id}/lessons").json()
    assert [item["title"] for item in listing["items"]] == ["Two", "Welcome"]
    assert send(client, "delete", f"/lessons/{second}").status_code == 204
    assert Lesson.objects.get(public_id=first).position == 0


def test_unknown_lesson_kinds_are_refused(client, course):
    module_id, _ = build_course(client, course)
    response = send(
        client, "post", f"/modules/{module_id}/lessons", {"title": "Q", "kind": "podcast"}
    )
    assert response.status_code == 422
    assert Lesson.objects.count() == 1


def test_malicious_markdown_through_the_api(client, course):
    module_id, _ = build_course(client, course)
    response = send(
        client,
        "post",
        f"/modules/{module_id}/lessons",
        {
            "title": "Evil",
            "kind": "text",
            "body": "<img src=x onerror=alert(1)> [a](javascript:alert(1)) <script>1</script>",
        },
    )
    assert response.status_code == 201
    assert_safe_html(response.json()["body_html"])


# --- Uploads -------------------------------------------------------------------------------


def video_lesson(client, course):
    module_id, _ = build_course(client, course)
    return send(
        client, "post", f"/modules/{module_id}/lessons", {"title": "Film", "kind": "video"}
    ).json()["public_id"]


def test_video_lesson_upload_and_publish(client, course):
    lesson_id = video_lesson(client, course)
    refused = send(client, "post", f"/lessons/{lesson_id}/publish")
    assert refused.status_code == 422
    assert "captions" in refused.json()["detail"] and "transcript" in refused.json()["detail"]

    response = put_file(client, f"/lessons/{lesson_id}/media/video", "film.mp4", MP4)
    assert response.status_code == 200, response.content
    assert response.json()["video"].endswith(f"/lessons/{lesson_id}/media/video")
    response = put_file(client, f"/lessons/{lesson_id}/media/captions", "film.vtt", VTT)
    assert response.status_code == 200, response.content
    assert send(client, "patch", f"/lessons/{lesson_id}", {"transcript": "Hi"}).status_code == 200
    published = send(client, "post", f"/lessons/{lesson_id}/publish")
    assert published.status_code == 200, published.content

    ranged = client.get(f"{API}/lessons/{lesson_id}/media/video", HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206
    assert b"".join(ranged.streaming_content) == MP4[:10]
    out_of_bounds = client.get(
        f"{API}/lessons/{lesson_id}/media/video", HTTP_RANGE=f"bytes={len(MP4)}-"
    )
    assert out_of_bounds.status_code == 416


def _files() -> set[str]:
    found: set[str] = set()
    if not default_storage.exists("courses"):
        return found
    for directory in default_storage.listdir("courses")[0]:
        found.update(
            f"{directory}/{name}" for name in default_storage.listdir(f"courses/{directory}")[1]
        )
    return found


@pytest.mark.parametrize(
    ("field", "name", "data", "code"),
    [
        ("video", "film.mp4", PDF, "upload_content"),
        ("video", "film.exe", MP4, "upload_type"),
        ("captions", "c.vtt", b"1\n00:00:01,000 --> 00:00:02,000\nSRT", "upload_content"),
        ("video", "film.mp4", b"", "upload_empty"),
    ],
)
def test_refused_uploads_are_400_and_store_nothing(client, course, field, name, data, code):
    lesson_id = video_lesson(client, course)
    files, events = _files(), AuditEvent.objects.count()
    response = put_file(client, f"/lessons/{lesson_id}/media/{field}", name, data)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert _files() == files
    assert AuditEvent.objects.count() == events
    assert not getattr(Lesson.objects.get(public_id=lesson_id), field)


def test_oversized_upload_is_400(client, course, settings):
    settings.UPLOAD_MAX_CAPTIONS_KB = 1
    lesson_id = video_lesson(client, course)
    response = put_file(client, f"/lessons/{lesson_id}/media/captions", "c.vtt", VTT * 100)
    assert response.status_code == 400
    assert response.json()["code"] == "upload_too_large"
    assert "limit is 1 KB" in response.json()["detail"]


def test_upload_without_a_file_is_400(client, course):
    lesson_id = video_lesson(client, course)
    response = send(client, "put", f"/lessons/{lesson_id}/media/video", {})
    assert response.status_code == 400
    assert response.json()["code"] == "upload_required"


def test_file_lesson_document_downloads_as_attachment(client, course):
    module_id, _ = build_course(client, course)
    lesson_id = send(
        client, "post", f"/modules/{module_id}/lessons", {"title": "Doc", "kind": "file"}
    ).json()["public_id"]
    uploaded = put_file(client, f"/lessons/{lesson_id}/media/file", "Syllabus.pdf", PDF)
    assert uploaded.json()["file_name"] == "Syllabus.pdf"
    assert uploaded.json()["file_size"] == len(PDF)
    download = client.get(f"{API}/lessons/{lesson_id}/media/file")
    assert download["Content-Disposition"].startswith("attachment")
    removed = send(client, "delete", f"/lessons/{lesson_id}/media/file")
    assert removed.status_code == 200 and removed.json()["file"] is None


def test_course_image_upload_needs_alt_text(client, course):
    path = f"/courses/{course.public_id}/image"
    no_alt = put_file(client, path, "c.png", png_bytes())
    assert no_alt.status_code == 422
    assert not Course.objects.get(pk=course.pk).image
    ok = put_file(client, path, "c.png", png_bytes(), alt="Students at work")
    assert ok.status_code == 200, ok.content
    assert ok.json()["image_alt"] == "Students at work" and ok.json()["image_url"]
    assert send(client, "delete", path).status_code == 204
    assert not Course.objects.get(pk=course.pk).image


# --- Who may call ------------------------------------------------------------------------


def test_outsiders_learners_and_managers_are_refused(course):
    """They can see the published course, but not change it."""
    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    module = Module.objects.create(course=course, title="M")
    learner = UserFactory()
    CourseMembership.objects.create(
        course=course, user=learner, role=Role.objects.get(slug="learner")
    )
    for user in (learner, UserFactory(site_roles=["manager"])):
        client = Client()
        client.force_login(user)
        for method, path in [
            ("patch", f"/courses/{course.public_id}"),
            ("post", f"/courses/{course.public_id}/modules"),
            ("patch", f"/modules/{module.public_id}"),
        ]:
            response = send(client, method, path, {"title": "Hacked"})
            assert response.status_code == 403, (user, path)
            assert response.json()["code"] == "forbidden"
    assert Course.objects.get(pk=course.pk).title == "Authoring 101"


def test_drafts_of_others_are_404(course):
    client = Client()
    client.force_login(UserFactory())
    assert client.get(f"{API}/courses/{course.public_id}").status_code == 404
    assert client.get(f"{API}/courses/crs_doesnotexist").status_code == 404
    assert send(client, "patch", "/lessons/les_nope", {}).status_code == 404


def test_a_token_needs_the_course_edit_scope(course, instructor):
    narrow = token_create(actor=instructor, user=instructor, name="t", scopes=[], days=1).plain
    client = Client(HTTP_AUTHORIZATION=f"Bearer {narrow}")
    assert client.get(f"{API}/courses/{course.public_id}").status_code == 403


# --- Query budgets -------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_rows(client, course, instructor):
    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}{path}").status_code == 200
        return len(queries)

    module = Module.objects.create(course=course, title="M", position=0)
    Lesson.objects.create(course=course, module=module, title="L", position=0)
    few_modules = count(f"/courses/{course.public_id}/modules")
    few_lessons = count(f"/modules/{module.public_id}/lessons")
    for i in range(1, 15):
        extra = Module.objects.create(course=course, title=f"M{i}", position=i)
        Lesson.objects.create(course=course, module=extra, title="L", position=0)
        Lesson.objects.create(course=course, module=module, title=f"L{i}", position=i)
    assert count(f"/courses/{course.public_id}/modules") == few_modules
    assert count(f"/modules/{module.public_id}/lessons") == few_lessons


def test_delete_a_draft_course(client, course):
    assert send(client, "delete", f"/courses/{course.public_id}").status_code == 204
    assert not Course.objects.filter(pk=course.pk).exists()


def test_a_published_course_cannot_be_deleted(client, course):
    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    response = send(client, "delete", f"/courses/{course.public_id}")
    assert response.status_code == 422 and "Unpublish" in response.json()["detail"]
    assert Course.objects.filter(pk=course.pk).exists()


def test_reorder_modules_and_lessons_in_one_call(client, course):
    module_id, first = build_course(client, course)
    second = send(
        client, "post", f"/modules/{module_id}/lessons", {"title": "Two", "kind": "text"}
    ).json()["public_id"]
    response = send(
        client, "put", f"/modules/{module_id}/lessons/order", {"order": [second, first]}
    )
    assert response.status_code == 200 and response.json()["order"] == [second, first]
    bad = send(client, "put", f"/modules/{module_id}/lessons/order", {"order": [first]})
    assert bad.status_code == 422
    other = send(client, "post", f"/courses/{course.public_id}/modules", {"title": "W2"}).json()
    response = send(
        client,
        "put",
        f"/courses/{course.public_id}/modules/order",
        {"order": [other["public_id"], module_id]},
    )
    assert response.status_code == 200
    assert list(course.modules.values_list("title", flat=True)) == ["W2", "Week 1"]


def test_a_hidden_draft_cannot_be_named_as_a_prerequisite(client, course):
    hidden = course_with_instructor(UserFactory(), "Someone's draft")
    response = send(
        client, "patch", f"/courses/{course.public_id}", {"prerequisites": [hidden.public_id]}
    )
    assert response.status_code == 422
    assert not course.prerequisites.exists()
