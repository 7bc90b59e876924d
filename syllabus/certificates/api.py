"""The certificates JSON API (mounted at /api/v1/): my certificates, a course's, revoke,
reissue, the course's settings, the PDF, and public verification by code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from syllabus.accounts.tokens import token_allows
from syllabus.certificates.codes import normalize_code
from syllabus.certificates.models import Certificate
from syllabus.certificates.permissions import (
    MANAGE,
    VIEW,
    can_download,
    can_manage_certificates,
)
from syllabus.certificates.selectors import (
    certificate_by_code,
    certificates_of,
    course_certificates,
)
from syllabus.certificates.services import (
    certificate_reissue,
    certificate_revoke,
    certificate_settings_for,
    certificate_settings_update,
    verify_url,
)
from syllabus.certificates.views import pdf_bytes_response, verify_refusal
from syllabus.core.api_schemas import Error
from syllabus.courses.api_common import ERRORS
from syllabus.courses.api_common import course_for as _course
from syllabus.courses.api_common import require_course_perm as _require

router = Router(tags=["certificates"])

PAGE_SIZE = 50


class CertificateOut(Schema):
    public_id: str
    code: str = Field(description="The verification code printed on the certificate.")
    course: str | None = Field(description="The course's public id (null: course deleted).")
    learner_name: str = Field(description="The name printed, as it was when issued.")
    course_title: str = Field(description="The course's title when issued.")
    completed_at: datetime
    issued_at: datetime
    expires_at: datetime | None = Field(description="Null: never expires.")
    status: str = Field(description="valid, revoked or expired.")
    revoked_at: datetime | None
    pdf_ready: bool = Field(description="The PDF is stored (else it is drawn on download).")
    verify_url: str


class StaffCertificateOut(CertificateOut):
    learner: str = Field(description="The learner's public id.")
    learner_email: str
    revoked_reason: str
    replaced_by: str | None = Field(description="public_id of the certificate replacing it.")


class CertificatePage(Schema):
    items: list[CertificateOut]
    count: int
    page: int
    pages: int
    page_size: int


class StaffCertificatePage(Schema):
    items: list[StaffCertificateOut]
    count: int
    page: int
    pages: int
    page_size: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Past the last page: the last page.")


class VerificationOut(Schema):
    """Only what the public verification page shows."""

    code: str
    name: str
    course: str = Field(description="The course's title.")
    completed_at: datetime
    status: str = Field(description="valid, revoked or expired.")


class RevokeIn(Schema):
    reason: str = Field(..., max_length=2000, description="Why; 1 to 500 characters.")


class SettingsIn(Schema):
    enabled: bool = Field(description="Issue certificates when learners complete the course.")
    validity_days: int | None = Field(
        None, description="Days a certificate is valid after completion; null: never expires."
    )


class SettingsOut(Schema):
    course: str
    enabled: bool
    validity_days: int | None


def _out(certificate: Certificate, now: datetime) -> dict[str, Any]:
    return {
        "public_id": certificate.public_id,
        "code": certificate.code,
        "course": certificate.course.public_id if certificate.course else None,
        "learner_name": certificate.learner_name,
        "course_title": certificate.course_title,
        "completed_at": certificate.completed_at,
        "issued_at": certificate.issued_at,
        "expires_at": certificate.expires_at,
        "status": certificate.status_at(now),
        "revoked_at": certificate.revoked_at,
        "pdf_ready": bool(certificate.pdf),
        "verify_url": verify_url(certificate.code),
    }


def _staff_out(certificate: Certificate, now: datetime) -> dict[str, Any]:
    return {
        **_out(certificate, now),
        "learner": certificate.user.public_id,
        "learner_email": certificate.user.email,
        "revoked_reason": certificate.revoked_reason,
        "replaced_by": certificate.replaced_by.public_id if certificate.replaced_by else None,
    }


def _page(qs: Any, number: int) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(number)


def _certificate(request: HttpRequest, public_id: str) -> Certificate:
    certificate = (
        Certificate.objects.select_related("course", "user", "replaced_by")
        .filter(public_id=public_id)
        .first()
    )
    if certificate is None:
        raise Http404
    return certificate


def _require_manage(request: HttpRequest, certificate: Certificate) -> None:
    allowed = can_manage_certificates(request.user, certificate.course)
    if not (allowed and token_allows(request, MANAGE)):
        raise PermissionDenied(
            _("This needs the %(permission)s permission in the certificate's course.")
            % {"permission": MANAGE}
        )


@router.get(
    "/me/certificates",
    response={200: CertificatePage, **ERRORS},
    summary="My certificates (current ones, newest first)",
)
def my_certificates(request: HttpRequest, query: Query[PageQuery]) -> Any:
    page = _page(certificates_of(request.user).select_related("course"), query.page)
    now = timezone.now()
    return {
        "items": [_out(c, now) for c in page.object_list],
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": PAGE_SIZE,
    }


@router.get(
    "/courses/{public_id}/certificates",
    response={200: StaffCertificatePage, **ERRORS},
    summary="A course's certificates with their status (course.view_learners)",
)
def course_certificate_list(request: HttpRequest, public_id: str, query: Query[PageQuery]) -> Any:
    course = _course(request, public_id)
    _require(request, course, VIEW)
    page = _page(course_certificates(course).select_related("course", "replaced_by"), query.page)
    now = timezone.now()
    return {
        "items": [_staff_out(c, now) for c in page.object_list],
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "page_size": PAGE_SIZE,
    }


@router.get(
    "/courses/{public_id}/certificate-settings",
    response={200: SettingsOut, **ERRORS},
    summary="A course's certificate settings (course.edit)",
)
def get_settings(request: HttpRequest, public_id: str) -> Any:
    course = _course(request, public_id)
    _require(request, course, MANAGE)
    row = certificate_settings_for(course)
    return {"course": course.public_id, "enabled": row.enabled, "validity_days": row.validity_days}


@router.put(
    "/courses/{public_id}/certificate-settings",
    response={200: SettingsOut, 422: Error, **ERRORS},
    summary="Change a course's certificate settings (course.edit; audited)",
)
def put_settings(request: HttpRequest, public_id: str, payload: SettingsIn) -> Any:
    course = _course(request, public_id)
    _require(request, course, MANAGE)
    row = certificate_settings_update(
        actor=request.user,
        course=course,
        enabled=payload.enabled,
        validity_days=payload.validity_days,
    )
    return {"course": course.public_id, "enabled": row.enabled, "validity_days": row.validity_days}


@router.post(
    "/certificates/{public_id}/revoke",
    response={200: StaffCertificateOut, 422: Error, **ERRORS},
    summary="Revoke a certificate with a reason (course.edit; audited, the learner is notified)",
)
def revoke(request: HttpRequest, public_id: str, payload: RevokeIn) -> Any:
    certificate = _certificate(request, public_id)
    _require_manage(request, certificate)
    revoked = certificate_revoke(actor=request.user, certificate=certificate, reason=payload.reason)
    return _staff_out(_certificate(request, revoked.public_id), timezone.now())


@router.post(
    "/certificates/{public_id}/reissue",
    response={201: StaffCertificateOut, 422: Error, **ERRORS},
    summary="Replace a certificate with a new one and a new code (course.edit; audited)",
)
def reissue(request: HttpRequest, public_id: str) -> Any:
    certificate = _certificate(request, public_id)
    _require_manage(request, certificate)
    new = certificate_reissue(actor=request.user, certificate=certificate)
    return Status(201, _staff_out(_certificate(request, new.public_id), timezone.now()))


@router.get(
    "/certificates/{public_id}/pdf",
    response={200: None, **ERRORS},
    summary="Download a certificate's PDF (its learner, or the course's staff)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The certificate as PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def pdf(request: HttpRequest, public_id: str) -> Any:
    certificate = _certificate(request, public_id)
    mine = certificate.user_id == request.user.pk
    if not (can_download(request.user, certificate) and (mine or token_allows(request, VIEW))):
        raise PermissionDenied(_("Only the learner and the course's staff may download it."))
    return pdf_bytes_response(certificate)


@router.get(
    "/certificates/verify/{code}",
    auth=None,
    response={200: VerificationOut, 404: Error, 429: Error},
    summary="Verify a certificate by its code (public; rate-limited per client address)",
)
def verify(request: HttpRequest, code: str) -> Any:
    refused = verify_refusal(request)
    if refused is not None:
        wait = max(refused.reset, 1)
        response = JsonResponse(
            {
                "detail": _("Too many look-ups. Try again in %(seconds)s seconds.")
                % {"seconds": wait},
                "code": "rate_limited",
            },
            status=429,
        )
        for name, value in refused.headers().items():
            response[name] = value
        return response
    canonical = normalize_code(code)
    certificate = certificate_by_code(canonical) if canonical else None
    if certificate is None:
        return Status(404, {"detail": _("No certificate has this code."), "code": "not_found"})
    return {
        "code": certificate.code,
        "name": certificate.learner_name,
        "course": certificate.course_title,
        "completed_at": certificate.completed_at,
        "status": certificate.status_at(timezone.now()),
    }
