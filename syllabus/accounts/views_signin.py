"""Pages of the sign-in part: invitations, lockouts, profile and the security overview.

Sign-in, sign-up, sign-out, email verification and password pages are allauth's (under
/accounts/), styled by our templates; these are the pages allauth does not have.
"""

from __future__ import annotations

from typing import Any

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from syllabus.accounts import invitations, lockout
from syllabus.accounts.forms_personal import PersonalDetailsForm
from syllabus.accounts.forms_signin import InvitationForm, LockoutClearForm, ProfileForm
from syllabus.accounts.models import Invitation
from syllabus.accounts.permissions import (
    has_any_site_perm,
    require_site_perm,
    site_permissions,
    site_role_slugs,
)
from syllabus.accounts.profile import (
    PERSONAL_FIELDS,
    personal_details_of,
    personal_details_update,
    profile_update,
)
from syllabus.audit.selectors import readable_categories
from syllabus.core.forms import add_service_errors

PAGE_SIZE = 25


# --- Invitations ---------------------------------------------------------------------------


@require_site_perm(*invitations.INVITE_PERMISSIONS)
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    roles = invitations.roles_grantable_by(request.user)
    form = InvitationForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = invitations.invitation_create(
                actor=request.user,  # type: ignore[arg-type]
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works for %(days)s and only once.")
                % {"email": invitation.email, "days": _days(invitation)},
            )
            return redirect("accounts:invitations")
    page = Paginator(invitations.invitation_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(inv, invitations.invitation_status(inv)) for inv in page.object_list]
    return render(
        request,
        "accounts/invitations.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "signup_mode": settings.SIGNUP,
        },
        status=400 if form.errors else 200,
    )


@require_site_perm(*invitations.INVITE_PERMISSIONS)
@require_http_methods(["GET", "POST"])
def invitation_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.filter(invitations.invitations_visible_to(request.user)),
        public_id=public_id,
    )
    status = invitations.invitation_status(invitation)
    if request.method == "POST":
        try:
            invitations.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:invitations")
        messages.success(
            request,
            _("The invitation for %(email)s was revoked.") % {"email": invitation.email},
        )
        return redirect("accounts:invitations")
    return render(
        request,
        "accounts/invitation_revoke.html",
        {"invitation": invitation, "invitation_status": status},
    )


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: remember it in the session and go to the sign-up form."""
    invitation = invitations.invitation_for_token(token)
    if invitation is None or settings.SIGNUP == "off":
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        return render(
            request, "accounts/invitation_signed_in.html", {"invitation": invitation}, status=409
        )
    request.session[invitations.SESSION_KEY] = token
    # The link reached this address's inbox: allauth marks the address verified at sign-up.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


def _days(invitation: Invitation) -> str:
    days = max(1, round((invitation.expires_at - invitation.created_at).total_seconds() / 86400))
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


# --- Lockouts ------------------------------------------------------------------------------


@require_site_perm("lockout.manage")
def lockout_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/lockouts.html",
        {"lockouts": lockout.lockout_list(), "minutes": settings.LOCKOUT_MINUTES},
    )


@require_site_perm("lockout.manage")
@require_http_methods(["GET", "POST"])
def lockout_clear(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation; POST clears. Either names one account or one address."""
    form = LockoutClearForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return render(request, "accounts/lockout_clear.html", {"form": form}, status=400)
    email, ip = form.cleaned_data["email"], form.cleaned_data["ip"]
    if request.method == "POST":
        try:
            lockout.lockout_clear(actor=request.user, email=email, ip=ip)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Failed sign-ins for %(who)s were cleared.") % {"who": email or ip}
            )
        return redirect("accounts:lockouts")
    return render(
        request,
        "accounts/lockout_clear.html",
        {"form": form, "target": email or ip, "is_account": bool(email)},
    )


# --- Profile and security ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The name, and the personal details (rectification); each form saves on its own."""
    user = request.user
    details = personal_details_of(user)  # type: ignore[arg-type]
    posted = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "profile") if posted is not None else ""
    form = ProfileForm(
        posted if which == "profile" else None,
        initial={"full_name": user.full_name},  # type: ignore[union-attr]
    )
    details_form = PersonalDetailsForm(
        posted if which == "details" else None,
        initial={name: getattr(details, name) for name in PERSONAL_FIELDS},
    )
    if which == "profile" and form.is_valid():
        try:
            profile_update(actor=user, user=user, full_name=form.cleaned_data["full_name"])  # type: ignore[arg-type]
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    if which == "details" and details_form.is_valid():
        try:
            personal_details_update(
                actor=user,  # type: ignore[arg-type]
                user=user,  # type: ignore[arg-type]
                values=details_form.cleaned_data,
            )
        except ValidationError as exc:
            add_service_errors(details_form, exc)
        else:
            messages.success(request, _("Your personal details were saved."))
            return redirect("accounts:profile")
    invalid = bool(form.errors or details_form.errors) or (
        posted is not None and which not in ("profile", "details")
    )
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "details_form": details_form},
        status=400 if invalid else 200,
    )


# Pages of the security overview, shown when they exist (MFA, sessions and API tokens are
# other parts of the identity work; a page missing from this build is simply not listed).
SECURITY_PAGES = (
    ("account_change_password", gettext_lazy("Password"), gettext_lazy("Change your password.")),
    (
        "account_email",
        gettext_lazy("Email addresses"),
        gettext_lazy("See and verify the addresses on your account."),
    ),
    (
        "mfa_index",
        gettext_lazy("Two-factor authentication"),
        gettext_lazy("Authenticator app, security keys, codes."),
    ),
    (
        "accounts:sessions",
        gettext_lazy("Signed-in devices"),
        gettext_lazy("See where you are signed in; sign out."),
    ),
    (
        "accounts:tokens",
        gettext_lazy("API tokens"),
        gettext_lazy("Personal tokens for scripts and integrations."),
    ),
)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    pages = [
        {"url": reverse(url_name), "title": title, "description": description}
        for url_name, title, description in SECURITY_PAGES
    ]
    user = request.user
    admin_pages = []
    if has_any_site_perm(user, "user.manage", "role.assign"):
        admin_pages.append({"url": reverse("accounts:people"), "title": _("People and roles")})
    if readable_categories(
        role_slugs=site_role_slugs(user),
        permissions=site_permissions(user),
        is_superuser=bool(getattr(user, "is_superuser", False)),
    ):
        admin_pages.append({"url": reverse("ops:audit_log"), "title": _("Audit trail")})
    if invitations.can_invite(request.user):
        admin_pages.append({"url": reverse("accounts:invitations"), "title": _("Invitations")})
    if lockout.can_manage_lockouts(request.user):
        admin_pages.append({"url": reverse("accounts:lockouts"), "title": _("Sign-in lockouts")})
    return render(request, "accounts/security.html", {"pages": pages, "admin_pages": admin_pages})


class PasswordResetFromKeyView(allauth_views.PasswordResetFromKeyView):
    """allauth's reset-link page, answering 400 (not 200) to a used, expired or forged link.

    The page still explains what happened and offers a new link; the status lets clients,
    monitors and tests tell a refused link from a working one.
    """

    def dispatch(self, request: HttpRequest, uidb36: str, key: str, **kwargs: Any) -> Any:
        response = super().dispatch(request, uidb36, key, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("token_fail"):
            response.status_code = 400
        return response


password_reset_from_key = PasswordResetFromKeyView.as_view()
