"""Matrix rows: certificates. The learner's own list and PDF; a course's list for those who
follow its learners (course.view_learners); settings, revoke and reissue for its editors
(course.edit); verification by code for everyone, signed in or not."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from syllabus.certificates.models import Certificate
from tests.permissions.matrix import EVERYONE, SIGNED_IN, Row, only

OWNER_AND_STAFF = only("learner", "instructor", "manager", "admin")
VIEWERS = only("instructor", "manager", "admin")
EDITORS = only("instructor", "admin")
CODE = "7KQ2-M9XD-4HTR-0BWE"


def _cert(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["certificate"]}


def _course(c: dict[str, Any]) -> dict[str, Any]:
    return {"public_id": c["course"]}


UI: dict[str, Row] = {
    "certificates:mine": Row(SIGNED_IN),
    "certificates:verify_form": Row(EVERYONE),
    "certificates:verify": Row(EVERYONE, kwargs=lambda c: {"code": CODE}),
    "certificates:course_list": Row(VIEWERS, kwargs=_course),
    "certificates:course_settings": Row(EDITORS, kwargs=_course),
    "certificates:download": Row(OWNER_AND_STAFF, kwargs=_cert),
    "certificates:revoke": Row(EDITORS, kwargs=_cert),
    "certificates:reissue": Row(EDITORS, kwargs=_cert),
}

API: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/me/certificates"): Row(SIGNED_IN),
    ("GET", "/api/v1/certificates/verify/{code}"): Row(EVERYONE, kwargs=lambda c: {"code": CODE}),
    ("GET", "/api/v1/courses/{public_id}/certificates"): Row(VIEWERS, kwargs=_course),
    ("GET", "/api/v1/courses/{public_id}/certificate-settings"): Row(EDITORS, kwargs=_course),
    ("PUT", "/api/v1/courses/{public_id}/certificate-settings"): Row(
        EDITORS, kwargs=_course, data={"enabled": True, "validity_days": 365}
    ),
    ("GET", "/api/v1/certificates/{public_id}/pdf"): Row(OWNER_AND_STAFF, kwargs=_cert),
    # The instructor revokes (reissues) first; the admin's later call is refused as
    # already done (422), not as forbidden.
    ("POST", "/api/v1/certificates/{public_id}/revoke"): Row(
        EDITORS, kwargs=_cert, data={"reason": "Matrix check"}
    ),
    ("POST", "/api/v1/certificates/{public_id}/reissue"): Row(EDITORS, kwargs=_cert),
}

# Read-only; staff status opens the admin, course.view_learners site-wide shows the list.
ADMIN_PAGES: dict[str, frozenset[str]] = {"certificates/certificate": only("admin")}


def world(base: dict[str, Any]) -> dict[str, Any]:
    course = base["course_obj"]
    learner = base["people"]["learner"]
    now = timezone.now()
    certificate = Certificate.objects.create(
        code=CODE,
        user=learner,
        course=course,
        learner_name="Matrix Learner",
        course_title=course.title,
        completed_at=now,
        issued_at=now,
    )
    return {"certificate": certificate.public_id}
