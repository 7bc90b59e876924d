"""The learning API: my courses, my progress, open/complete/video progress, rosters."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from syllabus.accounts.models import Role
from syllabus.accounts.tests.mfa_helpers import enrol_totp, mark_recent_mfa, totp_code
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.config.api import api
from syllabus.courses.models import Cohort
from syllabus.learning.models import CourseProgress, LessonProgress
from syllabus.learning.services import lesson_complete
from syllabus.learning.tests.conftest import enrol
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, data=None, **extra):
    return client.post(url, json.dumps(data or {}), content_type="application/json", **extra)


def test_my_courses(student, course, lessons):
    lesson_complete(user=student, lesson=lessons["intro"])
    response = _client(student).get("/api/v1/me/courses")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1
    item = body["items"][0]
    assert item["public_id"] == course.public_id
    assert (item["percent"], item["completed_lessons"], item["required_lessons"]) == (25, 1, 4)
    assert item["next_lesson"]["public_id"] == lessons["video"].public_id
    assert item["last_lesson"]["public_id"] == lessons["intro"].public_id


def test_my_progress_in_a_course(student, course, lessons):
    response = _client(student).get(f"/api/v1/courses/{course.public_id}/progress")
    assert response.status_code == 200
    body = response.json()
    assert body["percent"] == 0 and body["required_lessons"] == 4
    after = next(x for x in body["lessons"] if x["public_id"] == lessons["after"].public_id)
    assert after["locked"] is True and "Introduction" in after["locked_reason"]
    # not a learner here
    outsider = _client(UserFactory())
    response = outsider.get(f"/api/v1/courses/{course.public_id}/progress")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert outsider.get("/api/v1/courses/crs_nope/progress").status_code == 404


def test_open_and_complete(student, course, lessons):
    client = _client(student)
    url = f"/api/v1/lessons/{lessons['intro'].public_id}"
    response = _post(client, f"{url}/open")
    assert response.status_code == 200 and response.json()["completed"] is False
    response = _post(client, f"{url}/complete")
    body = response.json()
    assert body["completed"] is True and body["course_percent"] == 25
    assert _post(client, f"{url}/complete").json()["completed_at"] == body["completed_at"]


def test_refusals_are_clear_and_write_nothing(student, course, lessons):
    client = _client(student)
    # an uploaded video completes from watching, not by hand
    response = _post(client, f"/api/v1/lessons/{lessons['video'].public_id}/complete")
    assert response.status_code == 422 and "watched" in response.json()["detail"]
    # locked
    response = _post(client, f"/api/v1/lessons/{lessons['after'].public_id}/complete")
    assert response.status_code == 403
    assert response.json()["code"] == "lesson_locked"
    assert "Introduction" in response.json()["detail"]
    # drafts and unknown lessons
    lessons["optional"].is_published = False
    lessons["optional"].save()
    assert _post(client, f"/api/v1/lessons/{lessons['optional'].public_id}/open").status_code == 404
    assert _post(client, "/api/v1/lessons/les_unknown/open").status_code == 404
    assert not LessonProgress.objects.filter(completed_at__isnull=False).exists()


def test_video_progress(student, lessons, settings):
    settings.VIDEO_COMPLETION_PERCENT = 80
    client = _client(student)
    url = f"/api/v1/lessons/{lessons['video'].public_id}/progress"
    response = _post(client, url, {"ranges": [[0, 50]], "position": 50})
    body = response.json()
    assert response.status_code == 200
    assert body["watched_percent"] == 50 and body["completed"] is False
    body = _post(client, url, {"ranges": [[40, 85]], "position": 85}).json()
    assert body["watched_percent"] == 85 and body["completed"] is True
    assert body["video_position_seconds"] == 85


@pytest.mark.parametrize(
    "payload",
    [
        {"ranges": [[5, 1]], "position": 0},
        {"ranges": [[1]], "position": 0},
        {"ranges": "0-10", "position": 0},
        {"ranges": [[0, 1]]},
        {"ranges": [[0, 1]] * 101, "position": 0},
    ],
)
def test_bad_video_reports_are_422(student, lessons, payload):
    url = f"/api/v1/lessons/{lessons['video'].public_id}/progress"
    response = _post(_client(student), url, payload)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not LessonProgress.objects.exists()


def test_video_progress_body_must_be_json(student, lessons):
    url = f"/api/v1/lessons/{lessons['video'].public_id}/progress"
    response = _client(student).post(url, "not json", content_type="application/json")
    assert response.status_code == 400


def test_roster(teacher, course, lessons):
    morning = Cohort.objects.create(course=course, name="Morning")
    for i in range(3):
        user = UserFactory(full_name=f"L{i}")
        membership = enrol(user, course)
        if i == 0:
            membership.cohort = morning
            membership.save()
            lesson_complete(user=user, lesson=lessons["intro"])
    client = _client(teacher)
    body = client.get(f"/api/v1/courses/{course.public_id}/roster?sort=-percent").json()
    assert body["count"] == 3 and body["sort"] == "-percent" and body["required_lessons"] == 4
    first = body["items"][0]
    assert first["percent"] == 25 and first["cohort"] == morning.public_id
    body = client.get(
        f"/api/v1/courses/{course.public_id}/roster?cohort={morning.public_id}"
    ).json()
    assert body["count"] == 1
    body = client.get(f"/api/v1/courses/{course.public_id}/roster?sort=bogus").json()
    assert body["sort"] == "name"


def test_roster_queries_do_not_grow(teacher, course, lessons):
    client = _client(teacher)
    url = f"/api/v1/courses/{course.public_id}/roster"
    for _ in range(3):
        enrol(UserFactory(), course)
    client.get(url)  # warm the per-site caches (current privacy policies...)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["items"]) == 3
    for _ in range(27):
        enrol(UserFactory(), course)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["items"]) == 30
    assert len(few) == len(many)


def test_roster_csv_by_session_needs_a_recent_check(course, lessons):
    admin = UserFactory(site_roles=["admin"])
    enrol(UserFactory(), course)
    client = _client(admin)
    url = f"/api/v1/courses/{course.public_id}/roster.csv"
    response = client.get(url)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    mark_recent_mfa(client, admin, method="password")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().startswith("email,full_name")
    assert AuditEvent.objects.get(action="export.run").details["rows"] == 1


def test_roster_csv_by_token_needs_scopes_and_a_code(course):
    admin = UserFactory(site_roles=["admin"])
    secret = enrol_totp(admin)
    url = f"/api/v1/courses/{course.public_id}/roster.csv"

    def bearer(scopes):
        plain = token_create(actor=admin, user=admin, name="t", scopes=scopes).plain
        return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}

    narrow = bearer(["course.view_learners"])
    assert Client().get(url, HTTP_X_MFA_CODE=totp_code(secret), **narrow).status_code == 403
    wide = bearer(["course.view_learners", "export.run"])
    response = Client().get(url, **wide)
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_reauthentication_required"
    assert Client().get(url, HTTP_X_MFA_CODE=totp_code(secret), **wide).status_code == 200


def test_roster_is_for_staff(student, course):
    response = _client(student).get(f"/api/v1/courses/{course.public_id}/roster")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    ta_role = Role.objects.get(slug="teaching_assistant")
    ta = UserFactory()
    enrol(ta, course, role=ta_role.slug)
    assert _client(ta).get(f"/api/v1/courses/{course.public_id}/roster").status_code == 200


def test_every_learning_operation_is_documented():
    schema = api.get_openapi_schema()
    ours = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if "learning" in op.get("tags", [])
    ]
    assert len(ours) == 7
    assert all(op.get("summary") for _, _, op in ours)


def test_staff_cannot_record_progress(teacher, lessons):
    response = _post(_client(teacher), f"/api/v1/lessons/{lessons['intro'].public_id}/open")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not CourseProgress.objects.exists()


def test_video_progress_with_the_players_duration(student, lessons):
    video = lessons["video"]
    video.video_duration_seconds = None
    video.save()
    url = f"/api/v1/lessons/{video.public_id}/progress"
    client = _client(student)
    response = _post(client, url, {"ranges": [[0, 10]], "position": 10})
    assert response.status_code == 422 and "duration" in response.json()["detail"]
    body = _post(client, url, {"ranges": [[0, 10]], "position": 10, "duration": 40}).json()
    assert body["watched_percent"] == 25 and body["completed"] is False
