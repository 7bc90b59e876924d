"""Course members over the API: who holds which course role, and changing it."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from syllabus.accounts.models import Role, User
from syllabus.accounts.roles import COURSE
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import course_for as _course
from syllabus.courses.api_common import require_course_perm as _require
from syllabus.courses.api_enrolment import refusal
from syllabus.courses.models import CourseMembership
from syllabus.courses.services_enrolment import (
    EnrolmentError,
    enrolment_remove,
    member_role_set,
)

router = Router(tags=["courses"])


class MemberOut(Schema):
    public_id: str
    email: str
    full_name: str
    role: str


class MemberIn(Schema):
    role: str = Field(..., description="instructor, teaching_assistant or learner")
    override_capacity: bool = Field(
        False, description="Enrol a learner even when the course is full (audited)."
    )


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}


def _member(membership: CourseMembership) -> dict[str, Any]:
    user = membership.user
    return {
        "public_id": user.public_id,
        "email": user.email,
        "full_name": user.full_name,
        "role": membership.role.slug,
    }


@router.get(
    "/courses/{public_id}/members",
    response={200: list[MemberOut], **_ERRORS},
    summary="Members of a course and their course roles",
)
def list_members(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    _require(request, course, "course.view_learners")
    memberships = course.memberships.select_related("user", "role").order_by("user__email")
    return [_member(m) for m in memberships]


@router.put(
    "/courses/{public_id}/members/{user_id}",
    response={200: MemberOut, 409: Error, 422: Error, **_ERRORS},
    summary="Give a person a role in the course (instructor, teaching assistant, learner)",
    description=(
        "A newcomer is enrolled under the course's rules: a learner needs a free place "
        "(409 `course_full` unless `override_capacity`). A member changes role and keeps "
        "their cohort and end date."
    ),
)
def set_member(request: HttpRequest, public_id: str, user_id: str, payload: MemberIn) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    user = User.objects.filter(public_id=user_id, is_active=True).first()
    role = Role.objects.filter(slug=payload.role, scope=COURSE).first()
    if user is None or role is None:
        raise Http404
    try:
        membership = member_role_set(
            actor=request.user,
            course=course,
            user=user,
            role=role.slug,
            override_capacity=payload.override_capacity,
        )
    except EnrolmentError as exc:
        return refusal(exc)
    return _member(membership)


@router.delete(
    "/courses/{public_id}/members/{user_id}",
    response={204: None, **_ERRORS},
    summary="Remove a person from the course",
)
def remove_member(request: HttpRequest, public_id: str, user_id: str) -> Any:
    course = _course(request, public_id)
    _require(request, course, "enrolment.manage")
    user = User.objects.filter(public_id=user_id).first()
    if user is None:
        raise Http404
    try:  # the waiting list moves up when a learner leaves
        enrolment_remove(actor=request.user, course=course, user=user)
    except EnrolmentError as exc:
        if exc.status == 404:
            raise Http404 from exc
        return refusal(exc)
    return Status(204, None)
