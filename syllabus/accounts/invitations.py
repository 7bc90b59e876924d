"""Invitations to sign up: create, accept, revoke (services) and look-ups (selectors).

The token exists in clear only in the emailed link; the database keeps its SHA-256 hash,
so a copy of the database cannot be turned into working links. Admins (``user.manage``)
and managers (``enrolment.manage``) invite; a site role chosen at creation is granted on
acceptance, provided the inviter may still grant it then (no escalation through an old
invitation).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import Invitation, Role, User
from syllabus.accounts.permissions import can_grant, has_any_site_perm, has_site_perm
from syllabus.accounts.services import role_grant
from syllabus.audit.services import record
from syllabus.core.email import email_queue

log = structlog.get_logger(__name__)

INVITE_PERMISSIONS = ("user.manage", "enrolment.manage")
# The session key that carries an opened invitation link to the sign-up form.
SESSION_KEY = "syllabus_invitation"

PENDING, ACCEPTED, REVOKED, EXPIRED = "pending", "accepted", "revoked", "expired"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def can_invite(user: Any) -> bool:
    return has_any_site_perm(user, *INVITE_PERMISSIONS)


def invitation_status(invitation: Invitation, *, now: datetime | None = None) -> str:
    if invitation.accepted_at:
        return ACCEPTED
    if invitation.revoked_at:
        return REVOKED
    if invitation.expires_at <= (now or timezone.now()):
        return EXPIRED
    return PENDING


# --- Selectors -----------------------------------------------------------------------------


def invitations_visible_to(user: Any) -> Q:
    """Admins see every invitation; managers see the ones they sent."""
    if has_site_perm(user, "user.manage"):
        return Q()
    if can_invite(user):
        return Q(invited_by=user)
    return Q(pk__in=[])


def invitation_list(*, user: Any) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(invitations_visible_to(user))
        .select_related("role", "invited_by", "accepted_by")
        .order_by("-created_at")
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation a link's token opens, or None (unknown, used, expired)."""
    if not token or len(token) > 200:
        return None
    invitation = (
        Invitation.objects.select_related("role", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or invitation_status(invitation) != PENDING:
        return None
    return invitation


def roles_grantable_by(user: Any) -> QuerySet[Role]:
    """Site roles ``user`` may attach to an invitation: those they could grant themselves."""
    allowed = [role.pk for role in Role.objects.filter(scope="site") if can_grant(user, role)]
    return Role.objects.filter(pk__in=allowed).order_by("name")


# --- Services ------------------------------------------------------------------------------


def _normalise_email(email: str) -> str:
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    return email


@transaction.atomic
def invitation_create(
    *, actor: User, email: str, role: Role | None = None, base_url: str
) -> tuple[Invitation, str]:
    """Invite ``email`` to sign up; emails the link and returns (invitation, token).

    ``base_url`` is the site's address as the inviter sees it (``https://lms.example.org``);
    the link in the email is built on it. An earlier pending invitation for the same
    address is revoked, so only the newest link works.
    """
    if not can_invite(actor):
        raise PermissionDenied(_("You do not have permission to invite people."))
    if settings.SIGNUP == "off":
        raise ValidationError(
            _(
                "Sign-up is turned off on this site (SYLLABUS_SIGNUP=off), so an invitation "
                "could not be accepted. Ask an administrator to create the account instead."
            )
        )
    email = _normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": _("Someone with this email address already has an account.")}
        )
    if role is not None and (role.scope != "site" or not can_grant(actor, role)):
        raise PermissionDenied(
            _("You cannot grant the role %(role)s, so you cannot invite with it.")
            % {"role": role.name}
        )

    now = timezone.now()
    for earlier in Invitation.objects.select_for_update().filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ):
        _revoke(actor=actor, invitation=earlier, reason="superseded", now=now)

    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        invited_by=actor,
        token_hash=token_hash(token),
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    record(
        actor=actor,
        action="user.invited",
        target=invitation,
        details={
            "email": email,
            "role": role.slug if role else None,
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    link = base_url.rstrip("/") + reverse("accounts:invitation_accept", args=[token])
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": actor.get_full_name(),
        "site_name": settings.SITE_NAME,
        "days": settings.INVITATION_DAYS,
    }
    subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
    email_queue(
        subject=subject,
        body=render_to_string("accounts/email/invitation_message.txt", context),
        to=[email],
    )
    return invitation, token


def _revoke(*, actor: User | None, invitation: Invitation, reason: str, now: datetime) -> None:
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at", "updated_at"])
    record(
        actor=actor,
        action="invitation.revoked",
        target=invitation,
        details={"email": invitation.email, "reason": reason},
    )


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    if not can_invite(actor) or not invitation_list(user=actor).filter(pk=invitation.pk).exists():
        raise PermissionDenied(_("You cannot revoke this invitation."))
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    status = invitation_status(invitation)
    if status != PENDING:
        raise ValidationError(
            {
                ACCEPTED: _("This invitation is already accepted: there is nothing to revoke."),
                REVOKED: _("This invitation is already revoked: there is nothing to revoke."),
                EXPIRED: _("This invitation is already expired: there is nothing to revoke."),
            }.get(status, _("There is nothing to revoke."))
        )
    _revoke(actor=actor, invitation=invitation, reason="revoked", now=timezone.now())
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Invitation:
    """Mark the invitation used by ``user`` (who just signed up) and grant its role."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the joins (role, inviter).
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("role", "invited_by")
        .get(pk=invitation.pk)
    )
    if invitation_status(invitation) != PENDING:
        raise ValidationError(_("This invitation has expired or was already used."))
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            {"email": _("This invitation was sent to a different email address.")}
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    granted: str | None = None
    role = invitation.role
    inviter = invitation.invited_by
    # The inviter's right to grant the role is checked again now: an invitation must not
    # outlive the permissions of whoever sent it.
    if role is not None and inviter is not None and inviter.is_active and can_grant(inviter, role):
        role_grant(actor=inviter, user=user, role=role)
        granted = role.slug
    elif role is not None:
        log.warning("invitation.role_not_granted", invitation=invitation.public_id, role=role.slug)
    record(
        actor=user,
        action="invitation.accepted",
        target=invitation,
        details={
            "email": invitation.email,
            "role_granted": granted,
            "role_requested": role.slug if role else None,
        },
    )
    return invitation
