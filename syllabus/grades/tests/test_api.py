"""The gradebook API: the grid with totals, set-up, grades and overrides, import (all or
nothing, 422 with per-row outcomes), export (MFA), and learners' own grades."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from syllabus.accounts.tests.mfa_helpers import mark_recent_mfa
from syllabus.audit.models import AuditEvent
from syllabus.grades import services
from syllabus.grades.models import Grade, GradeCategory, GradeItem
from syllabus.grades.tests.conftest import make_item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(client, method, url, data=None):
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json")


def test_gradebook_grid_with_totals(course, instructor, student, other_student):
    labs = GradeCategory.objects.create(course=course, name="Labs", weight=1)
    lab = make_item(course, title="Lab", max_points="10", category=labs)
    extra = make_item(course, title="Extra", max_points="10")
    services.grade_enter(actor=instructor, item=lab, learner=student, points="5")
    services.grade_enter(actor=instructor, item=extra, learner=student, points="10")
    body = _client(instructor).get(f"/api/v1/courses/{course.public_id}/gradebook").json()
    assert [i["title"] for i in body["items"]] == ["Lab", "Extra"]
    assert body["count"] == 2
    sam = next(row for row in body["learners"] if row["email"] == "sam@example.org")
    assert sam["percent"] == "75.00" and sam["letter"] == "C"
    assert sam["categories"] == [
        {"category": labs.public_id, "percent": "50.00"},
        {"category": None, "percent": "100.00"},
    ]
    olga = next(row for row in body["learners"] if row["email"] == "olga@example.org")
    assert olga["percent"] is None and olga["letter"] == ""
    paged = _client(instructor).get(
        f"/api/v1/courses/{course.public_id}/gradebook", {"page_size": 1, "page": 2}
    )
    assert paged.json()["pages"] == 2 and len(paged.json()["learners"]) == 1


def test_setup_through_the_api(course, instructor):
    client = _client(instructor)
    base = f"/api/v1/courses/{course.public_id}"
    response = _send(client, "post", f"{base}/grade-categories", {"name": "Exams", "weight": "70"})
    assert response.status_code == 201
    category = response.json()["public_id"]
    duplicate = _send(client, "post", f"{base}/grade-categories", {"name": "exams", "weight": "1"})
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "invalid"
    response = _send(
        client,
        "post",
        f"{base}/grade-items",
        {"title": "Oral", "max_points": "20", "category": category},
    )
    assert response.status_code == 201 and response.json()["category"] == category
    item = response.json()["public_id"]
    response = _send(client, "patch", f"/api/v1/grade-items/{item}", {"max_points": "25"})
    assert response.json()["max_points"] == "25.00"
    scale = [{"letter": "P", "min_percent": "50"}, {"letter": "F", "min_percent": "0"}]
    response = _send(client, "patch", f"{base}/gradebook/scheme", {"scale": scale})
    assert response.status_code == 200
    assert response.json()["scale"] == [
        {"letter": "P", "min_percent": "50.00"},
        {"letter": "F", "min_percent": "0.00"},
    ]
    bad = _send(client, "patch", f"{base}/gradebook/scheme", {"scale": scale[:1]})
    assert bad.status_code == 422 and "start at 0" in bad.json()["detail"]
    missing = _send(client, "post", f"{base}/grade-items", {"title": "X", "max_points": "1",
                                                            "category": "gcat_nope"})  # fmt: skip
    assert missing.status_code == 422
    response = _send(client, "delete", f"/api/v1/grade-categories/{category}")
    assert response.status_code == 204
    assert GradeItem.objects.get(public_id=item).category is None


def test_grades_overrides_and_history(course, instructor, student):
    item = make_item(course, title="Poster", max_points="10")
    client = _client(instructor)
    url = f"/api/v1/grade-items/{item.public_id}/grades/{student.public_id}"
    assert _send(client, "put", url, {"points": "11"}).status_code == 422
    assert _send(client, "put", url, {"points": "6"}).json()["points"] == "6.00"
    assert _send(client, "put", f"{url}/override", {"points": "8", "reason": ""}).status_code == 422
    response = _send(client, "put", f"{url}/override", {"points": "8", "reason": "Appeal"})
    assert response.json()["points"] == "8.00" and response.json()["given_points"] == "6.00"
    history = client.get(f"{url}/history").json()
    assert history[0]["override_reason"] == "Appeal"
    assert _send(client, "delete", f"{url}/override", {"reason": "Undo"}).status_code == 204
    assert Grade.objects.get(item=item).effective_points == 6
    stranger = UserFactory()
    gone = _send(client, "put", f"/api/v1/grade-items/{item.public_id}/grades/{stranger.public_id}",
                 {"points": "1"})  # fmt: skip
    assert gone.status_code == 404


def test_deleting_a_graded_item_needs_confirm(course, instructor, student):
    item = make_item(course)
    services.grade_enter(actor=instructor, item=item, learner=student, points="1")
    client = _client(instructor)
    response = _send(client, "delete", f"/api/v1/grade-items/{item.public_id}")
    assert response.status_code == 409 and response.json()["code"] == "grades_exist"
    response = _send(client, "delete", f"/api/v1/grade-items/{item.public_id}?confirm=true")
    assert response.status_code == 204 and not GradeItem.objects.exists()


def test_import_is_all_or_nothing(course, instructor, student):
    make_item(course, title="Oral", max_points="20")
    client = _client(instructor)
    base = f"/api/v1/courses/{course.public_id}/gradebook/import"
    bad = "email,item,points\nsam@example.org,Oral,15\nghost@example.org,Oral,3\n"
    preview = _send(client, "post", f"{base}/preview", {"csv": bad}).json()
    assert preview["ok"] is False and preview["counts"]["error"] == 1
    response = _send(client, "post", base, {"csv": bad})
    assert response.status_code == 422 and response.json()["code"] == "import_rejected"
    assert response.json()["rows"][1]["message"].startswith("Unknown learner")
    assert not Grade.objects.exists()
    good = "email,item,points\nsam@example.org,Oral,15\n"
    response = _send(client, "post", base, {"csv": good})
    assert response.status_code == 200 and response.json()["counts"]["update"] == 1
    assert Grade.objects.get().points == 15
    not_csv = _send(client, "post", base, {"csv": "hello"})
    assert not_csv.status_code == 422 and "missing" in not_csv.json()["detail"]


def test_export_needs_a_recent_second_factor(course, instructor, student):
    admin = UserFactory(site_roles=["admin"])
    client = _client(admin)
    url = f"/api/v1/courses/{course.public_id}/gradebook.csv"
    refused = client.get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "mfa_reauthentication_required"
    mark_recent_mfa(client, admin, method="password")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().startswith("email,full_name")
    assert AuditEvent.objects.get(action="export.run").details["rows"] == 1
    assert _client(instructor).get(url).status_code == 403


def test_learners_read_only_their_released_grades(course, instructor, student, other_student):
    shown = make_item(course, title="Shown", max_points="10")
    hidden = make_item(course, title="Hidden", max_points="10", learner_visibility="never")
    services.grade_enter(actor=instructor, item=shown, learner=student, points="9")
    services.grade_enter(actor=instructor, item=hidden, learner=student, points="1")
    services.grade_enter(actor=instructor, item=shown, learner=other_student, points="2")
    client = _client(student)
    [mine] = client.get("/api/v1/me/grades").json()
    assert (mine["percent"], mine["letter"], mine["graded_items"]) == ("90.00", "A", 1)
    detail = client.get(f"/api/v1/me/grades/{course.public_id}").json()
    assert [(i["title"], i["released"], i["points"]) for i in detail["items"]] == [
        ("Shown", True, "9.00"),
        ("Hidden", False, None),
    ]
    assert _client(instructor).get(f"/api/v1/me/grades/{course.public_id}").status_code == 403


def test_a_token_needs_the_grade_scopes(course, instructor, student):
    from syllabus.accounts.tokens import token_create

    item = make_item(course, max_points="10")
    url = f"/api/v1/grade-items/{item.public_id}/grades/{student.public_id}"

    def bearer(scopes):
        plain = token_create(actor=instructor, user=instructor, name="t", scopes=scopes).plain
        return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}

    client = Client()
    read_only = bearer(["grade.view"])
    assert (
        client.get(f"/api/v1/courses/{course.public_id}/gradebook", **read_only).status_code == 200
    )
    refused = client.put(
        url, json.dumps({"points": "5"}), content_type="application/json", **read_only
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    allowed = client.put(
        url,
        json.dumps({"points": "5"}),
        content_type="application/json",
        **bearer(["grade.view", "grade.edit"]),
    )
    assert allowed.status_code == 200
    assert Grade.objects.get(item=item).points == 5
