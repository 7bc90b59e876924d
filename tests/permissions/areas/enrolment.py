"""Matrix rows: enrolment, the people page, cohorts, waiting lists and CSV imports."""

from __future__ import annotations

import itertools
from typing import Any

from syllabus.accounts.models import Role
from syllabus.courses.models import Cohort, CourseMembership, EnrolmentImport, WaitlistEntry
from tests.factories import UserFactory
from tests.permissions.matrix import SIGNED_IN, Row, only

STAFF = only("admin", "manager", "instructor")  # course.view_learners / enrolment.manage
_n = itertools.count()


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    member = UserFactory(email="enrolled@matrix.example.org")
    CourseMembership.objects.create(
        course=course, user=member, role=Role.objects.get(slug="learner")
    )
    waiting = UserFactory(email="waiting@matrix.example.org")
    WaitlistEntry.objects.create(course=course, user=waiting)
    cohort = Cohort.objects.create(course=course, name="Matrix cohort")
    imp = EnrolmentImport.objects.create(
        course=course, content="email\nenrolled@matrix.example.org\n", report=_REPORT
    )
    return {
        "enrol_member": member.public_id,
        "enrol_waiting": waiting.public_id,
        "enrol_cohort": cohort.public_id,
        "enrol_import": imp.public_id,
    }


_REPORT = {
    "rows": [],
    "totals": {"enrol": 0, "update": 0, "unchanged": 0, "error": 0},
    "warnings": [],
    "override_capacity": False,
}


# Rows whose allowed personas change the world (delete, apply) get fresh objects per call,
# so the personas after them are refused for their role, not for a missing object.
def _fresh_member(c: dict[str, Any]) -> str:
    user = UserFactory()
    CourseMembership.objects.create(
        course=c["course_obj"], user=user, role=Role.objects.get(slug="learner")
    )
    return str(user.public_id)


def _fresh_cohort(c: dict[str, Any]) -> str:
    return str(Cohort.objects.create(course=c["course_obj"], name=f"Fresh {next(_n)}").public_id)


def _fresh_import(c: dict[str, Any]) -> str:
    imp = EnrolmentImport.objects.create(course=c["course_obj"], content="email\n", report=_REPORT)
    return str(imp.public_id)


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


UI: dict[str, Row] = {
    "courses:enrol": Row(SIGNED_IN, kwargs=_course),
    "courses:enrol_leave": Row(SIGNED_IN, kwargs=_course),
    "courses:waitlist_join": Row(SIGNED_IN, method="post", kwargs=_course, data={}),
    "courses:waitlist_leave": Row(SIGNED_IN, method="post", kwargs=_course, data={}),
    "courses:people": Row(STAFF, kwargs=_course),
    "courses:people_add": Row(STAFF, kwargs=_course),
    "courses:people_cohort": Row(STAFF, method="post", kwargs=_course, data={}),
    "courses:people_import": Row(STAFF, kwargs=_course),
    "courses:people_import_preview": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "import_id": c["enrol_import"]}
    ),
    "courses:people_member": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "user_id": c["enrol_member"]}
    ),
    "courses:people_remove": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "user_id": c["enrol_member"]}
    ),
    "courses:people_waitlist_remove": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "user_id": c["enrol_waiting"]}
    ),
    "courses:cohorts": Row(STAFF, kwargs=_course),
    "courses:cohort_edit": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "cohort_id": c["enrol_cohort"]}
    ),
    "courses:cohort_delete": Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "cohort_id": c["enrol_cohort"]}
    ),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/courses/{public_id}/enrolment"): Row(SIGNED_IN, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/enrol"): Row(SIGNED_IN, kwargs=_course, data={}),
    ("DELETE", "/api/v1/courses/{public_id}/enrolment"): Row(SIGNED_IN, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/waitlist"): Row(SIGNED_IN, kwargs=_course, data={}),
    ("DELETE", "/api/v1/courses/{public_id}/waitlist"): Row(SIGNED_IN, kwargs=_course),
    ("GET", "/api/v1/courses/{public_id}/waitlist"): Row(STAFF, kwargs=_course),
    ("GET", "/api/v1/courses/{public_id}/enrolments"): Row(STAFF, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/enrolments"): Row(
        STAFF, kwargs=_course, data={"email": "target@matrix.example.org"}
    ),
    ("PATCH", "/api/v1/courses/{public_id}/enrolments/{user_id}"): Row(
        STAFF,
        kwargs=lambda c: {"public_id": c["course"], "user_id": c["enrol_member"]},
        data={"ends_at": None},
    ),
    ("DELETE", "/api/v1/courses/{public_id}/enrolments/{user_id}"): Row(
        STAFF, kwargs=lambda c: {"public_id": c["course"], "user_id": _fresh_member(c)}
    ),
    ("GET", "/api/v1/courses/{public_id}/cohorts"): Row(STAFF, kwargs=_course),
    ("POST", "/api/v1/courses/{public_id}/cohorts"): Row(
        STAFF, kwargs=_course, data={"name": "Matrix new"}
    ),
    ("PATCH", "/api/v1/cohorts/{public_id}"): Row(
        STAFF, kwargs=lambda c: {"public_id": c["enrol_cohort"]}, data={"name": "Renamed"}
    ),
    ("DELETE", "/api/v1/cohorts/{public_id}"): Row(
        STAFF, kwargs=lambda c: {"public_id": _fresh_cohort(c)}
    ),
    ("POST", "/api/v1/courses/{public_id}/enrolment-imports"): Row(STAFF, kwargs=_course),
    ("GET", "/api/v1/enrolment-imports/{public_id}"): Row(
        STAFF, kwargs=lambda c: {"public_id": c["enrol_import"]}
    ),
    ("POST", "/api/v1/enrolment-imports/{public_id}/apply"): Row(
        STAFF, kwargs=lambda c: {"public_id": _fresh_import(c)}
    ),
}
