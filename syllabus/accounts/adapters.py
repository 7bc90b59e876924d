"""allauth's account adapter: who may sign up, how mail leaves, which address is the client's.

* Sign-up follows ``SYLLABUS_SIGNUP``: ``open`` (anyone), ``invite`` (only after opening a
  valid invitation link, see ``accounts.invitations``) or ``off``.
* Every email allauth sends (verification, password reset, notices) is rendered here and
  handed to the job queue (``core.email.email_queue``), sent after commit.
* Rate limits use the same client address as logs, audit and lockout
  (``core.middleware.client_ip``, which honours SYLLABUS_TRUSTED_PROXY_COUNT).
"""

from __future__ import annotations

from typing import Any

from allauth.account import stages
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from syllabus.accounts import invitations
from syllabus.accounts.models import Invitation, User
from syllabus.audit.services import record
from syllabus.core.email import email_queue, in_language_of
from syllabus.core.middleware import client_ip


def signup_allowed(request: HttpRequest) -> bool:
    """SYLLABUS_SIGNUP: open to anyone, to holders of a valid invitation link, or off."""
    mode = settings.SIGNUP
    if mode == "open":
        return True
    if mode == "invite":
        return pending_invitation(request) is not None
    return False


def pending_invitation(request: HttpRequest) -> Invitation | None:
    """The invitation whose link this browser opened, if it is still valid."""
    token = request.session.get(invitations.SESSION_KEY) if hasattr(request, "session") else None
    return invitations.invitation_for_token(token) if token else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if signup_allowed(request):
            return True
        # allauth would answer 200 with its "closed" page; a refusal is a 403, and the page
        # says why (off, or invitation only) so nobody keeps trying.
        raise ImmediateHttpResponse(
            render(
                request,
                "account/signup_closed.html",
                {"signup_mode": settings.SIGNUP},
                status=403,
            )
        )

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        # In the addressee's saved language when they have an account with one (a password
        # reset asked from someone else's browser); otherwise the language of this request.
        addressee = User.objects.filter(email__iexact=email).exclude(language="").first()
        if addressee is not None:
            with in_language_of(addressee):
                message = self.render_mail(template_prefix, email, ctx)
        else:
            message = self.render_mail(template_prefix, email, ctx)
        html_body = None
        if isinstance(message, EmailMultiAlternatives):
            html_body = next(
                (str(content) for content, mime in message.alternatives if mime == "text/html"),
                None,
            )
        email_queue(
            subject=str(message.subject),
            body=str(message.body),
            to=list(message.to),
            from_email=str(message.from_email),
            html_body=html_body,
            headers={str(k): str(v) for k, v in (message.extra_headers or {}).items()},
        )

    def clean_email(self, email: str) -> str:
        # Signing up through an invitation: the account is for the address that was invited
        # (and is verified by the link), not for any address typed into the form.
        request = allauth_context.request
        user = getattr(request, "user", None)
        if request is not None and not getattr(user, "is_authenticated", False):
            invited = signup_email_for(request)
            if invited and email.strip().lower() != invited.lower():
                raise ValidationError(
                    _(
                        "This invitation is for %(email)s: sign up with that address, or ask "
                        "for an invitation to this one."
                    )
                    % {"email": invited}
                )
        return super().clean_email(email)

    def get_login_stages(self) -> list[str]:
        default = "allauth.account.stages.EmailVerificationStage"
        ours = f"{__name__}.{EmailVerificationStage.__name__}"
        return [ours if path == default else path for path in super().get_login_stages()]

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth refuses a request without an address; a unix-socket deployment has none,
        # so such requests share one rate-limit bucket instead of failing.
        return client_ip(request) or "unknown"

    @transaction.atomic
    def save_user(
        self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True
    ) -> Any:
        user = super().save_user(request, user, form, commit=False)
        user.full_name = (form.cleaned_data.get("full_name") or "").strip()
        if not commit:
            return user
        # allauth records this address itself (verified or not); see signals.on_user_created.
        user._self_signup = True
        user.save()
        invitation = pending_invitation(request)
        record(
            actor=user,
            action="user.created",
            target=user,
            details={"via": "invitation" if invitation else "sign-up"},
        )
        if invitation is not None:
            invitations.invitation_accept(invitation=invitation, user=user)
            request.session.pop(invitations.SESSION_KEY, None)
        return user


def signup_email_for(request: HttpRequest) -> str | None:
    """The address a pending invitation was sent to (the sign-up form locks onto it)."""
    invitation = pending_invitation(request)
    return invitation.email if invitation else None


class EmailVerificationStage(stages.EmailVerificationStage):
    """allauth's verification stage, except for accounts an administrator created.

    Self sign-up always records the address in allauth's EmailAddress table, so those
    accounts are verified as SYLLABUS_EMAIL_VERIFICATION says. Accounts made by an
    administrator (the admin site, ``syllabus createadmin``, ``syllabus demo``) have no
    such record: the administrator vouched for the address, and refusing them sign-in
    until they click a link they were never sent would lock them out.
    """

    def handle(self) -> tuple[Any, bool]:
        user = self.login.user
        if user is not None and not EmailAddress.objects.filter(user_id=user.pk).exists():
            return None, True
        result: tuple[Any, bool] = super().handle()
        return result
