"""The privacy JSON API (mounted at /api/v1/): policies and consent, data subject
requests (a person's own, or an officer's on their behalf), review and download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.utils.http import content_disposition_header
from django.utils.translation import ngettext
from ninja import Field, Query, Router, Schema, Status

from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.accounts.tokens import request_ip, token_allows
from syllabus.core.api_schemas import Error
from syllabus.privacy.exports import export_open, filename_for
from syllabus.privacy.models import DataRequest
from syllabus.privacy.selectors import current_policies, requests_for_officer, requests_of
from syllabus.privacy.services import REASON_MAX, consent_accept, request_create, request_review

router = Router(tags=["privacy"])

_ERRORS: dict[int, Any] = {401: Error, 403: Error, 404: Error, 429: Error}
PAGE_SIZE = 50


class PolicyOut(Schema):
    id: int = Field(description="Send these ids to POST /privacy/consents.")
    kind: str = Field(description="privacy or terms.")
    version: int
    title: str
    body: str = Field(description="Markdown.")
    published_at: datetime


class ConsentIn(Schema):
    document_ids: list[int] = Field(..., min_length=1, max_length=10)


class ConsentOut(Schema):
    accepted: list[int]


class RequestIn(Schema):
    kind: str = Field(..., description="access (an export) or erasure.", max_length=10)
    reason: str = Field("", max_length=REASON_MAX)
    subject: str | None = Field(
        None,
        max_length=32,
        description="Someone else's public id (officers only: export.run for access, "
        "retention.manage for erasure). Omit for yourself.",
    )


class RequestOut(Schema):
    public_id: str
    kind: str
    status: str
    subject: str
    created_at: datetime
    due_at: datetime
    overdue: bool
    completed_at: datetime | None
    decision_reason: str
    download_until: datetime | None = Field(description="Set while the export can be downloaded.")


class ReviewIn(Schema):
    approve: bool
    reason: str = Field("", max_length=REASON_MAX)


class QueueQuery(Schema):
    status: str = Field("", max_length=12)
    kind: str = Field("", max_length=10)
    overdue: bool = False
    page: int = Field(1, ge=1)


def _out(item: DataRequest) -> RequestOut:
    return RequestOut(
        public_id=item.public_id,
        kind=item.kind,
        status=item.status,
        subject=item.subject.public_id,
        created_at=item.created_at,
        due_at=item.due_at,
        overdue=item.is_overdue,
        completed_at=item.completed_at,
        decision_reason=item.decision_reason,
        download_until=item.export_expires_at if item.can_download else None,
    )


def _require(request: HttpRequest, *codes: str) -> None:
    from syllabus.accounts.permissions import has_site_perm

    if not any(token_allows(request, c) and has_site_perm(request.user, c) for c in codes):
        raise PermissionDenied(
            ngettext(
                "This needs the %(permissions)s permission.",
                "This needs one of these permissions: %(permissions)s.",
                len(codes),
            )
            % {"permissions": ", ".join(codes)}
        )


@router.get(
    "/privacy/policies",
    response={200: list[PolicyOut], 429: Error},
    auth=None,
    summary="The current privacy policy and terms (none until one is published)",
)
def policies_current(request: HttpRequest) -> Any:
    return current_policies()


@router.post(
    "/privacy/consents",
    response={200: ConsentOut, 422: Error, **_ERRORS},
    summary="Accept the current versions of the policies (their ids)",
)
def consents_accept(request: HttpRequest, body: ConsentIn) -> Any:
    created = consent_accept(
        user=request.user, document_ids=body.document_ids, ip=request_ip(request)
    )
    return {"accepted": [c.document_id for c in created]}


@router.get(
    "/privacy/requests",
    response={200: list[RequestOut], **_ERRORS},
    summary="My data requests (exports and erasure), newest first",
)
def my_requests(request: HttpRequest) -> Any:
    return [_out(r) for r in requests_of(request.user)[:PAGE_SIZE]]


@router.post(
    "/privacy/requests",
    response={201: RequestOut, 422: Error, **_ERRORS},
    summary="Ask for an export (access) or erasure of my data, or someone's (officers)",
)
def create_request(request: HttpRequest, body: RequestIn) -> Any:
    subject: Any = request.user
    if body.subject and body.subject != request.user.public_id:  # type: ignore[union-attr]
        needed = "export.run" if body.kind == DataRequest.Kind.ACCESS else "retention.manage"
        _require(request, needed)
        api_require_recent_mfa(request)
        subject = get_user_model().objects.filter(public_id=body.subject).first()
        if subject is None:
            raise Http404
    created = request_create(
        actor=request.user, subject=subject, kind=body.kind, reason=body.reason
    )
    created.refresh_from_db()
    return Status(201, _out(created))


@router.get(
    "/privacy/requests/{public_id}/download",
    response={200: None, 410: Error, **_ERRORS},
    summary="Download my export (a ZIP of JSON and CSV files) before its link expires",
)
def download_export(request: HttpRequest, public_id: str) -> Any:
    item = (
        DataRequest.objects.select_related("subject")
        .filter(public_id=public_id, kind=DataRequest.Kind.ACCESS)
        .first()
    )
    if item is None:
        raise Http404
    try:
        handle = export_open(actor=request.user, request=item)
    except ValueError as exc:
        return Status(410, {"detail": str(exc), "code": "export_expired"})
    response = FileResponse(handle, content_type="application/zip")
    response["Content-Disposition"] = (
        content_disposition_header(True, filename_for(item)) or "attachment"
    )
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/privacy/queue",
    response={200: list[RequestOut], **_ERRORS},
    summary="Data requests to handle (compliance officers), oldest deadline first",
)
def queue(request: HttpRequest, query: Query[QueueQuery]) -> Any:
    _require(request, "export.run", "retention.manage")
    rows = requests_for_officer(
        request.user, status=query.status, kind=query.kind, overdue=query.overdue
    )
    start = (query.page - 1) * PAGE_SIZE
    return [_out(r) for r in rows[start : start + PAGE_SIZE]]


@router.post(
    "/privacy/requests/{public_id}/review",
    response={200: RequestOut, 422: Error, **_ERRORS},
    summary="Approve or reject an erasure request (retention.manage, recent MFA)",
)
def review_request(request: HttpRequest, public_id: str, body: ReviewIn) -> Any:
    _require(request, "retention.manage")
    item = DataRequest.objects.select_related("subject").filter(public_id=public_id).first()
    if item is None:
        raise Http404
    api_require_recent_mfa(request)
    reviewed = request_review(
        actor=request.user, request=item, approve=body.approve, reason=body.reason
    )
    reviewed.refresh_from_db()
    return _out(reviewed)
