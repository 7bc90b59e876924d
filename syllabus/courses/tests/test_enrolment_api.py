"""Enrolment over the API: every endpoint, its error codes, and writes only on success."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syllabus.accounts.models import Role
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Cohort, Course, CourseMembership, EnrolmentImport, WaitlistEntry
from syllabus.courses.services import course_role_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return Course.objects.create(title="Biology", slug="bio", status=Course.Status.PUBLISHED)


@pytest.fixture
def teacher(course):
    user = UserFactory(email="teacher@example.org")
    course_role_set(actor=None, course=course, user=user, role=Role.objects.get(slug="instructor"))
    return user


def post(client, url, data=None):
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data=json.dumps(data), content_type="application/json")


def base(course):
    return f"/api/v1/courses/{course.public_id}"


def test_self_enrol_state_and_leave(client, course):
    learner = UserFactory()
    client.force_login(learner)
    assert client.get(f"{base(course)}/enrolment").json()["status"] == "open"
    response = post(client, f"{base(course)}/enrol")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["role"], body["source"], body["user_id"]) == ("learner", "self", learner.public_id)
    again = post(client, f"{base(course)}/enrol")
    assert (again.status_code, again.json()["code"]) == (409, "already_enrolled")
    assert client.get(f"{base(course)}/enrolment").json()["status"] == "member"
    assert client.delete(f"{base(course)}/enrolment").status_code == 204
    gone = client.delete(f"{base(course)}/enrolment")
    assert (gone.status_code, gone.json()["code"]) == (404, "not_enrolled")


def test_key_errors_and_rate_limit_headers(client, course, settings):
    settings.RATE_LIMIT_AUTH = "2/minute"
    course.enrolment, course.enrolment_key = Course.Enrolment.KEY, "sesame"
    course.save()
    client.force_login(UserFactory())
    missing = post(client, f"{base(course)}/enrol")
    assert (missing.status_code, missing.json()["code"]) == (400, "key_required")
    for _ in range(2):
        wrong = post(client, f"{base(course)}/enrol", {"key": "open"})
        assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_key")
    limited = post(client, f"{base(course)}/enrol", {"key": "sesame"})
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert int(limited["Retry-After"]) >= 1
    assert not CourseMembership.objects.exists()


def test_closed_full_and_prerequisite_codes(client, course):
    client.force_login(UserFactory())
    course.enrolment = Course.Enrolment.MANUAL
    course.save()
    closed = post(client, f"{base(course)}/enrol")
    assert (closed.status_code, closed.json()["code"]) == (403, "enrolment_closed")
    course.enrolment, course.capacity = Course.Enrolment.OPEN, 0
    course.save()
    full = post(client, f"{base(course)}/enrol")
    assert (full.status_code, full.json()["code"]) == (409, "course_full")
    assert full.json()["waitlist"] is True
    first = Course.objects.create(title="Intro", slug="intro", status=Course.Status.PUBLISHED)
    course.prerequisites.add(first)
    course.capacity = None
    course.save()
    missing = post(client, f"{base(course)}/enrol")
    assert missing.json()["code"] == "prerequisites_missing"
    assert missing.json()["missing"] == [{"public_id": first.public_id, "title": "Intro"}]


def test_waitlist_join_list_and_leave(client, course, teacher):
    course.capacity = 1
    course.save()
    client.force_login(UserFactory())
    assert post(client, f"{base(course)}/enrol").status_code == 201
    waiting = [UserFactory(), UserFactory()]
    for person in waiting:
        client.force_login(person)
        response = post(client, f"{base(course)}/waitlist")
        assert response.status_code == 201
    assert response.json() == {"position": 2}
    again = post(client, f"{base(course)}/waitlist")
    assert again.json()["code"] == "already_waitlisted"
    refused = client.get(f"{base(course)}/waitlist")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    client.force_login(teacher)
    listed = client.get(f"{base(course)}/waitlist").json()
    assert [r["user_id"] for r in listed["results"]] == [p.public_id for p in waiting]
    assert [r["position"] for r in listed["results"]] == [1, 2]
    client.force_login(waiting[0])
    assert client.delete(f"{base(course)}/waitlist").status_code == 204
    assert WaitlistEntry.objects.count() == 1


def test_staff_enrol_update_list_and_remove(client, course, teacher):
    client.force_login(teacher)
    cohort = post(client, f"{base(course)}/cohorts", {"name": "Lab A"}).json()
    person = UserFactory(email="pat@example.org", full_name="Pat Doe")
    day = (timezone.localdate() + timedelta(days=20)).isoformat()
    created = post(
        client,
        f"{base(course)}/enrolments",
        {"email": "PAT@example.org", "cohort": cohort["public_id"], "ends_at": day},
    )
    assert created.status_code == 201, created.content
    assert created.json()["cohort"] == cohort["public_id"]
    assert created.json()["ends_at"].startswith(day)

    url = f"{base(course)}/enrolments/{person.public_id}"
    cleared = patch(client, url, {"ends_at": None})
    assert cleared.status_code == 200 and cleared.json()["ends_at"] is None
    assert cleared.json()["cohort"] == cohort["public_id"]  # not sent: unchanged
    uncohorted = patch(client, url, {"cohort": None})
    assert uncohorted.json()["cohort"] is None

    listed = client.get(f"{base(course)}/enrolments?q=pat%40example").json()
    assert [r["email"] for r in listed["results"]] == ["pat@example.org"]
    assert client.get(f"{base(course)}/enrolments?role=instructor").json()["count"] == 1

    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404
    actions = list(
        AuditEvent.objects.filter(target_id=person.public_id).values_list("action", flat=True)
    )
    assert actions.count("enrolment.created") == 1
    assert actions.count("enrolment.updated") == 2
    assert actions.count("enrolment.removed") == 1


def test_staff_enrolment_errors_write_nothing(client, course, teacher):
    client.force_login(teacher)
    url = f"{base(course)}/enrolments"
    unknown = post(client, url, {"email": "ghost@example.org"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_user")
    person = UserFactory()
    role = post(client, url, {"email": person.email, "role": "dean"})
    assert role.json()["code"] == "unknown_role"
    cohort = post(client, url, {"email": person.email, "cohort": "coh_nope"})
    assert cohort.json()["code"] == "unknown_cohort"
    past = post(client, url, {"email": person.email, "ends_at": "2001-01-01"})
    assert past.status_code == 422
    bad = post(client, url, {"email": person.email, "ends_at": "tomorrow"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid")
    course.capacity = 0
    course.save()
    full = post(client, url, {"email": person.email})
    assert full.json()["code"] == "course_full"
    assert not CourseMembership.objects.filter(user=person).exists()
    assert post(client, url, {"email": person.email, "override_capacity": True}).status_code == 201


def test_a_token_needs_the_enrolment_scope(client, course, teacher):
    plain = token_create(
        actor=teacher, user=teacher, name="t", scopes=["course.view_learners"], days=1
    ).plain
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert client.get(f"{base(course)}/enrolments", **headers).status_code == 200
    refused = client.post(
        f"{base(course)}/enrolments",
        data=json.dumps({"email": UserFactory().email}),
        content_type="application/json",
        **headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")


def test_cohorts_api(client, course, teacher):
    client.force_login(teacher)
    created = post(client, f"{base(course)}/cohorts", {"name": "Night"})
    assert created.status_code == 201
    cid = created.json()["public_id"]
    clash = post(client, f"{base(course)}/cohorts", {"name": "night"})
    assert (clash.status_code, clash.json()["code"]) == (409, "cohort_exists")
    renamed = patch(client, f"/api/v1/cohorts/{cid}", {"name": "Late"})
    assert renamed.json() == {"public_id": cid, "name": "Late", "members": 0}
    assert client.get(f"{base(course)}/cohorts").json()[0]["name"] == "Late"
    assert client.delete(f"/api/v1/cohorts/{cid}").status_code == 204
    assert client.delete(f"/api/v1/cohorts/{cid}").status_code == 404
    assert not Cohort.objects.exists()


def test_import_dry_run_preview_apply_and_rerun(client, course, teacher):
    client.force_login(teacher)
    UserFactory(email="ada@example.org")
    body = b"email,cohort\nada@example.org,Team\nghost@example.org,\n"
    url = f"{base(course)}/enrolment-imports"
    dry = client.post(f"{url}?dry_run=true", data=body, content_type="text/csv")
    assert dry.status_code == 200, dry.content
    assert dry.json()["status"] == "dry_run" and dry.json()["public_id"] is None
    assert [r["outcome"] for r in dry.json()["rows"]] == ["enrol", "error"]
    assert not EnrolmentImport.objects.exists()

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("class.csv", body, content_type="text/csv")
    kept = client.post(url, data={"file": upload})
    assert kept.status_code == 201, kept.content
    imp_id = kept.json()["public_id"]
    assert client.get(f"/api/v1/enrolment-imports/{imp_id}").json()["status"] == "previewed"
    applied = client.post(f"/api/v1/enrolment-imports/{imp_id}/apply")
    assert applied.status_code == 200
    assert applied.json()["totals"] == {"enrol": 1, "update": 0, "unchanged": 0, "error": 1}
    twice = client.post(f"/api/v1/enrolment-imports/{imp_id}/apply")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_applied")

    rerun = client.post(url, data=body, content_type="text/csv").json()
    assert rerun["totals"]["unchanged"] == 1
    result = client.post(f"/api/v1/enrolment-imports/{rerun['public_id']}/apply").json()
    assert result["totals"]["enrol"] == 0


def test_import_file_errors_are_400(client, course, teacher, settings):
    client.force_login(teacher)
    url = f"{base(course)}/enrolment-imports"
    latin = client.post(
        url, data="email\nzoë@example.org\n".encode("latin-1"), content_type="text/csv"
    )
    assert (latin.status_code, latin.json()["code"]) == (400, "bad_encoding")
    settings.UPLOAD_MAX_CSV_KB = 1
    big = client.post(url, data=b"email\n" + b"a@example.org\n" * 200, content_type="text/csv")
    assert (big.status_code, big.json()["code"]) == (400, "file_too_large")
    nofile = client.post(url, data={"other": "x"})
    assert (nofile.status_code, nofile.json()["code"]) == (400, "missing_file")
    assert not EnrolmentImport.objects.exists()


def test_other_courses_imports_and_cohorts_are_not_reachable(client, course, teacher):
    other = Course.objects.create(title="Other", slug="other", status=Course.Status.PUBLISHED)
    cohort = Cohort.objects.create(course=other, name="X")
    imp = EnrolmentImport.objects.create(course=other, content="email\n", report={})
    client.force_login(teacher)
    assert patch(client, f"/api/v1/cohorts/{cohort.public_id}", {"name": "Y"}).status_code == 403
    assert client.get(f"/api/v1/enrolment-imports/{imp.public_id}").status_code == 403
    draft = Course.objects.create(title="Draft", slug="draft")
    assert client.get(f"/api/v1/courses/{draft.public_id}/enrolments").status_code == 404
    assert post(client, f"/api/v1/courses/{draft.public_id}/enrol").status_code == 404


def test_enrolment_list_query_count_does_not_grow(client, course, teacher):
    client.force_login(teacher)
    cohort = Cohort.objects.create(course=course, name="A")
    learner = Role.objects.get(slug="learner")

    def add(n):
        for _ in range(n):
            CourseMembership.objects.create(
                course=course, user=UserFactory(), role=learner, cohort=cohort
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{base(course)}/enrolments").status_code == 200
    add(20)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{base(course)}/enrolments").status_code == 200
    assert len(many) == len(few)
    for _ in range(5):
        WaitlistEntry.objects.create(course=course, user=UserFactory())
    with CaptureQueriesContext(connection) as waitlist:
        client.get(f"{base(course)}/waitlist")
    assert len(waitlist) <= len(few)


def test_every_enrolment_operation_is_documented():
    from syllabus.config.api import api

    schema = api.get_openapi_schema()
    ours = {
        (method, path): op
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if "enrolment" in op.get("tags", [])
    }
    assert len(ours) >= 17
    assert all(op.get("summary") for op in ours.values())
    upload = ours[("post", "/api/v1/courses/{public_id}/enrolment-imports")]
    assert set(upload["requestBody"]["content"]) == {"text/csv", "multipart/form-data"}


def test_nul_bytes_are_refused_before_the_database(client, course, teacher):
    """PostgreSQL text cannot hold NUL: every input refuses it with a 4xx, never a 500
    (a 400 ``invalid_characters`` from core.middleware.RejectNulMiddleware)."""
    client.force_login(teacher)
    nul = (400, "invalid_characters")
    for query in ("q=a%00b", "cohort=a%00b", "role=a%00b"):
        response = client.get(f"{base(course)}/enrolments?{query}")
        assert (response.status_code, response.json()["code"]) == nul
    for path in (
        "/api/v1/courses/crs_%00/enrolment",
        "/api/v1/enrolment-imports/imp_%00",
        f"{base(course)}/enrolments/usr_%00",
    ):
        response = patch(client, path, {}) if path.endswith("usr_%00") else client.get(path)
        assert response.status_code == 400, path
    for path, data in [
        (f"{base(course)}/enrolments", {"email": "a\x00@example.org"}),
        (f"{base(course)}/enrolments", {"email": "a@example.org", "cohort": "coh_\x00"}),
        (f"{base(course)}/cohorts", {"name": "a\x00b"}),
        (f"{base(course)}/enrol", {"key": "a\x00"}),
    ]:
        response = post(client, path, data)
        assert (response.status_code, response.json()["code"]) == nul, path
    assert not Cohort.objects.exists()


def test_a_large_import_answers_202_queued(
    client, course, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    from syllabus.courses import services_enrolment

    monkeypatch.setattr(services_enrolment, "IMPORT_INLINE_CHANGES", 0)
    UserFactory(email="ada@example.org")
    client.force_login(teacher)
    kept = client.post(
        f"{base(course)}/enrolment-imports",
        data=b"email\nada@example.org\n",
        content_type="text/csv",
    ).json()
    apply_url = f"/api/v1/enrolment-imports/{kept['public_id']}/apply"
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(apply_url)
    assert (queued.status_code, queued.json()["status"]) == (202, "queued")
    assert client.get(f"/api/v1/enrolment-imports/{kept['public_id']}").json()["status"] == (
        "applied"
    )
