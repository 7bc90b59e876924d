"""Course members through the API and the CLI: the same services and predicates."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from syllabus.accounts.models import Role
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.courses.models import Course, CourseMembership
from syllabus.courses.services import course_role_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return Course.objects.create(title="Algebra", slug="algebra", status=Course.Status.PUBLISHED)


def as_member(course, slug):
    user = UserFactory()
    course_role_set(actor=None, course=course, user=user, role=Role.objects.get(slug=slug))
    return user


def bearer(user, scopes=()):
    plain = token_create(actor=user, user=user, name="t", scopes=list(scopes), days=1).plain
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_an_instructor_lists_and_enrols_through_the_api(client, course):
    teacher = as_member(course, "instructor")
    student = UserFactory(email="sam@example.org")
    client.force_login(teacher)
    url = f"/api/v1/courses/{course.public_id}/members/{student.public_id}"
    response = client.put(
        url, data=json.dumps({"role": "learner"}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "learner"
    listed = client.get(f"/api/v1/courses/{course.public_id}/members").json()
    assert {m["email"] for m in listed} == {teacher.email, "sam@example.org"}
    assert client.delete(url).status_code == 204
    assert not CourseMembership.objects.filter(course=course, user=student).exists()
    assert (
        AuditEvent.objects.filter(action__in=["enrolment.created", "enrolment.removed"]).count()
        == 2
    )


def test_learners_and_assistants_cannot_manage_members(client, course):
    other = UserFactory()
    for slug in ("learner", "teaching_assistant"):
        member = as_member(course, slug)
        client.force_login(member)
        url = f"/api/v1/courses/{course.public_id}/members/{other.public_id}"
        put = client.put(url, data=json.dumps({"role": "learner"}), content_type="application/json")
        assert put.status_code == 403
        assert put.json()["code"] == "forbidden"
    assert not CourseMembership.objects.filter(user=other).exists()


def test_a_learner_cannot_see_the_roster_but_an_assistant_can(client, course):
    client.force_login(as_member(course, "learner"))
    assert client.get(f"/api/v1/courses/{course.public_id}/members").status_code == 403
    client.force_login(as_member(course, "teaching_assistant"))
    assert client.get(f"/api/v1/courses/{course.public_id}/members").status_code == 200


def test_unknown_course_person_or_role_is_404_and_writes_nothing(client, course):
    teacher = as_member(course, "instructor")
    student = UserFactory()
    headers = bearer(teacher, ["enrolment.manage"])
    base = f"/api/v1/courses/{course.public_id}/members"
    cases = [
        (f"/api/v1/courses/crs_nothing/members/{student.public_id}", "learner"),
        (f"{base}/usr_nobody", "learner"),
        (f"{base}/{student.public_id}", "wizard"),
        (f"{base}/{student.public_id}", "auditor"),  # a site role is not a course role
    ]
    for url, role in cases:
        response = client.put(
            url, data=json.dumps({"role": role}), content_type="application/json", **headers
        )
        assert response.status_code == 404, (url, role, response.content)
    assert not CourseMembership.objects.filter(user=student).exists()


def test_draft_courses_are_hidden_from_outsiders(client, course):
    course.status = Course.Status.DRAFT
    course.save()
    client.force_login(UserFactory())
    assert client.get(f"/api/v1/courses/{course.public_id}/members").status_code == 404


def test_cli_sets_lists_and_removes_course_roles(course):
    person = UserFactory(email="ines@example.org")
    out = io.StringIO()
    call_command(
        "courses",
        "set-role",
        "--course",
        "algebra",
        "--email",
        "ines@example.org",
        "--role",
        "instructor",
        stdout=out,
    )
    assert "is now instructor in Algebra" in out.getvalue()
    listing = io.StringIO()
    call_command("courses", "members", "--course", course.public_id, stdout=listing)
    assert "Instructor" in listing.getvalue()
    assert "ines@example.org" in listing.getvalue()
    call_command("courses", "list", stdout=listing)
    assert "1 members" in listing.getvalue()
    call_command(
        "courses", "remove", "--course", "algebra", "--email", "ines@example.org", stdout=out
    )
    assert not CourseMembership.objects.filter(user=person).exists()


def test_cli_refuses_unknown_courses_and_people(course):
    with pytest.raises(CommandError, match="No course with the slug or id 'nope'"):
        call_command("courses", "members", "--course", "nope")
    with pytest.raises(CommandError, match="No account"):
        call_command(
            "courses",
            "set-role",
            "--course",
            "algebra",
            "--email",
            "x@example.org",
            "--role",
            "learner",
        )
    assert not CourseMembership.objects.exists()


def test_a_token_carries_course_permissions_only_where_its_owner_holds_them(client, course):
    teacher = as_member(course, "instructor")
    other_course = Course.objects.create(
        title="Biology", slug="biology", status=Course.Status.PUBLISHED
    )
    student = UserFactory()
    headers = bearer(teacher, ["enrolment.manage"])
    ok = client.put(
        f"/api/v1/courses/{course.public_id}/members/{student.public_id}",
        data=json.dumps({"role": "learner"}),
        content_type="application/json",
        **headers,
    )
    assert ok.status_code == 200
    refused = client.put(
        f"/api/v1/courses/{other_course.public_id}/members/{student.public_id}",
        data=json.dumps({"role": "learner"}),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 403
    # without the scope the token cannot manage members even where its owner could
    narrow = client.get(f"/api/v1/courses/{course.public_id}/members", **bearer(teacher))
    assert narrow.status_code == 403


# --- The members API and CLI follow the enrolment rules ---------------------------------------


@pytest.fixture
def full_course(course):
    course.capacity = 1
    course.save(update_fields=["capacity"])
    as_member(course, "learner")
    return course


def test_the_members_api_refuses_a_learner_when_the_course_is_full(client, full_course):
    teacher = as_member(full_course, "instructor")
    newcomer = UserFactory()
    client.force_login(teacher)
    url = f"/api/v1/courses/{full_course.public_id}/members/{newcomer.public_id}"

    refused = client.put(url, data=json.dumps({"role": "learner"}), content_type="application/json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "course_full"
    assert not CourseMembership.objects.filter(course=full_course, user=newcomer).exists()
    forced = client.put(
        url,
        data=json.dumps({"role": "learner", "override_capacity": True}),
        content_type="application/json",
    )
    assert forced.status_code == 200, forced.content
    assert CourseMembership.objects.filter(course=full_course, user=newcomer).exists()


def test_removing_a_learner_through_the_api_moves_the_waiting_list_up(client, full_course):
    from syllabus.courses.models import WaitlistEntry

    teacher = as_member(full_course, "instructor")
    seated = CourseMembership.objects.get(course=full_course, role__slug="learner").user
    waiting = UserFactory()
    WaitlistEntry.objects.create(course=full_course, user=waiting)
    client.force_login(teacher)

    response = client.delete(f"/api/v1/courses/{full_course.public_id}/members/{seated.public_id}")

    assert response.status_code == 204
    promoted = CourseMembership.objects.get(course=full_course, user=waiting)
    assert promoted.source == CourseMembership.Source.WAITLIST
    assert not WaitlistEntry.objects.filter(course=full_course).exists()


def test_a_member_keeps_cohort_and_end_date_when_the_api_changes_their_role(client, course):
    from syllabus.courses.models import Cohort

    teacher = as_member(course, "instructor")
    learner = as_member(course, "learner")
    cohort = Cohort.objects.create(course=course, name="Evening")
    CourseMembership.objects.filter(course=course, user=learner).update(cohort=cohort)
    client.force_login(teacher)

    response = client.put(
        f"/api/v1/courses/{course.public_id}/members/{learner.public_id}",
        data=json.dumps({"role": "teaching_assistant"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    membership = CourseMembership.objects.get(course=course, user=learner)
    assert membership.role.slug == "teaching_assistant"
    assert membership.cohort == cohort


def test_role_changes_show_in_the_cached_course_data_at_once(
    course, django_capture_on_commit_callbacks
):
    from syllabus.courses.selectors import course_meta

    before = course_meta(course.pk)
    assert before is not None and before["instructors"] == []
    with django_capture_on_commit_callbacks(execute=True):  # invalidation runs on commit
        teacher = as_member(course, "instructor")
    after = course_meta(course.pk)
    assert after is not None
    assert [i["public_id"] for i in after["instructors"]] == [teacher.public_id]


def test_the_cli_refuses_a_full_course_unless_told_to_override(full_course):
    newcomer = UserFactory(email="late@example.org")
    args = ["courses", "set-role", "--course", full_course.slug, "--email", newcomer.email]
    with pytest.raises(CommandError, match="full"):
        call_command(*args, "--role", "learner", stdout=io.StringIO())
    call_command(*args, "--role", "learner", "--override-capacity", stdout=io.StringIO())
    assert CourseMembership.objects.filter(course=full_course, user=newcomer).exists()
