"""Sessions and two-step verification over the API: the same services as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from syllabus.accounts.mfa import mfa_overview, mfa_reset
from syllabus.accounts.models import User
from syllabus.accounts.permissions import users_visible_to
from syllabus.accounts.sensitive import api_require_recent_mfa
from syllabus.accounts.sessions import (
    user_session_list,
    user_session_revoke,
    user_sessions_revoke_others,
)
from syllabus.accounts.tokens import api_has_perm
from syllabus.core.api_schemas import Error

router = Router(tags=["sessions and MFA"])


_ERRORS: dict[int, Any] = {401: Error, 403: Error, 429: Error}


class SessionOut(Schema):
    id: int
    device: str = Field(description='The browser and system, e.g. "Firefox on Linux".')
    ip: str | None
    created_at: datetime = Field(description="When this session signed in.")
    last_seen_at: datetime
    current: bool = Field(description="The session making this request (never, with a token).")


class SignedOut(Schema):
    signed_out: int


class MethodOut(Schema):
    kind: str = Field(description="totp, webauthn, email_code or sms_code")
    label: str
    detail: str = Field(description="Key name, or where codes are sent (masked).")


class MfaOut(Schema):
    has_mfa: bool
    methods: list[MethodOut]
    recovery_codes_left: int | None = Field(description="null: no recovery codes.")
    required: bool = Field(description="A role of this account requires MFA.")
    required_from: datetime | None = Field(description="When the grace period ends or ended.")
    enforced: bool = Field(description="Required, grace period over, no second factor yet.")


class MfaResetOut(Schema):
    removed: list[str]


def _current_key(request: HttpRequest) -> str | None:
    if getattr(request, "api_token", None) is not None:
        return None
    return request.session.session_key


@router.get(
    "/auth/sessions",
    response={200: list[SessionOut], **_ERRORS},
    summary="Your signed-in browser sessions",
)
def list_sessions(request: HttpRequest) -> Any:
    current = _current_key(request)
    return [
        {
            "id": row.pk,
            "device": row.device,
            "ip": row.ip,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "current": row.session_key == current,
        }
        for row in user_session_list(user=request.user)
    ]


@router.post(
    "/auth/sessions/{session_id}/revoke",
    response={204: None, 404: Error, 422: Error, **_ERRORS},
    summary="Sign out one of your browser sessions",
    description="The browser is signed out at once. Not the session making this request.",
)
def revoke_session(request: HttpRequest, session_id: int) -> Any:
    row = user_session_list(user=request.user).filter(pk=session_id).first()
    if row is None:
        raise Http404
    if row.session_key == _current_key(request):
        raise ValidationError(_("This is the session making the request: sign out instead."))
    user_session_revoke(actor=request.user, session=row)
    return Status(204, None)


@router.post(
    "/auth/sessions/revoke-others",
    response={200: SignedOut, **_ERRORS},
    summary="Sign out all your other browser sessions",
)
def revoke_other_sessions(request: HttpRequest) -> Any:
    count = user_sessions_revoke_others(
        actor=request.user, user=request.user, current_key=_current_key(request)
    )
    return {"signed_out": count}


@router.get("/auth/mfa", response={200: MfaOut, **_ERRORS}, summary="Your two-step verification")
def my_mfa(request: HttpRequest) -> Any:
    overview = mfa_overview(request.user)
    methods: list[dict[str, str]] = []
    if overview.totp:
        methods.append({"kind": "totp", "label": _("Authenticator app"), "detail": ""})
    methods += [
        {
            "kind": "webauthn",
            "label": _("Passkey") if key.is_passwordless else _("Security key"),
            "detail": key.name,
        }
        for key in overview.security_keys
    ]
    methods += [
        {
            "kind": f"{channel}_code",
            "label": _("Codes by email") if channel == "email" else _("Codes by text message"),
            "detail": summary.destination,
        }
        for channel, summary in overview.code_methods.items()
    ]
    return {
        "has_mfa": overview.has_mfa,
        "methods": methods,
        "recovery_codes_left": overview.recovery_codes_left,
        "required": overview.required,
        "required_from": overview.deadline,
        "enforced": overview.enforced,
    }


@router.post(
    "/people/{public_id}/mfa/reset",
    response={200: MfaResetOut, 404: Error, **_ERRORS},
    summary="Remove every second factor of a person (user.manage; a sensitive action)",
    description=(
        "For someone who lost their phone or key: they set up new factors at their next "
        "sign-in. Audited as auth.mfa_reset. A sensitive action: a session must have passed "
        "MFA recently; a token request sends a current code in the X-MFA-Code header."
    ),
)
def reset_mfa(request: HttpRequest, public_id: str) -> Any:
    if not api_has_perm(request, "user.manage"):
        raise PermissionDenied(_("This needs the permission user.manage."))
    person = User.objects.filter(users_visible_to(request.user), public_id=public_id).first()
    if person is None:
        raise Http404
    api_require_recent_mfa(request)
    return {"removed": mfa_reset(actor=request.user, user=person)}
