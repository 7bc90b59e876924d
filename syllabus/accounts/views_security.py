"""Security pages: active sessions, one-time code methods, MFA reset.

Thin views: the rules live in ``accounts.sessions``, ``accounts.mfa`` and
``accounts.one_time_codes``. allauth.mfa's own pages (authenticator app, security keys,
recovery codes) live under /accounts/2fa/ with our templates.
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.reauthentication import resume_request
from allauth.mfa.stages import AuthenticateStage
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.accounts import one_time_codes as codes
from syllabus.accounts.forms_security import CodeForm, PhoneForm
from syllabus.accounts.mfa import (
    is_last_required_factor,
    mfa_overview,
    mfa_reset,
    require_recent_mfa,
)
from syllabus.accounts.mfa_adapter import ReauthenticateCodeForm
from syllabus.accounts.models import OneTimeCodeMethod, User
from syllabus.accounts.permissions import require_site_perm, users_visible_to
from syllabus.accounts.sessions import (
    session_remaining,
    user_session_list,
    user_session_revoke,
    user_sessions_revoke_others,
)

CHANNELS = {
    "email": OneTimeCodeMethod.Channel.EMAIL,
    "sms": OneTimeCodeMethod.Channel.SMS,
}


def _user(request: HttpRequest) -> User:
    """The signed-in user (the views below are behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Sessions ---------------------------------------------------------------------------------


@login_required
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    rows = list(user_session_list(user=request.user))
    current = request.session.session_key
    return render(
        request,
        "accounts/security/sessions.html",
        {
            "rows": rows,
            "current_key": current,
            "others": [row for row in rows if row.session_key != current],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(user_session_list(user=request.user), pk=pk)
    if row.session_key == request.session.session_key:
        messages.error(request, _("This is the browser you are using: use Sign out instead."))
        return redirect("accounts:sessions")
    if request.method == "GET":
        return render(request, "accounts/security/session_revoke.html", {"row": row})
    user_session_revoke(actor=request.user, session=row)
    messages.success(
        request, _("Signed out %(device)s.") % {"device": row.device or _("that device")}
    )
    return redirect("accounts:sessions")


@login_required
@require_http_methods(["GET", "POST"])
def sessions_revoke_others(request: HttpRequest) -> HttpResponse:
    others = [
        row
        for row in user_session_list(user=request.user)
        if row.session_key != request.session.session_key
    ]
    if request.method == "GET":
        return render(request, "accounts/security/sessions_revoke_others.html", {"others": others})
    count = user_sessions_revoke_others(
        actor=request.user, user=request.user, current_key=request.session.session_key
    )
    messages.success(
        request,
        f"Signed out {count} other session{'s' if count != 1 else ''}."
        if count
        else "There were no other sessions.",
    )
    return redirect("accounts:sessions")


@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """Seconds left in this session; reading it does not extend it (see the middleware)."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"detail": _("Not signed in."), "code": "not_authenticated"}, status=401
        )
    return JsonResponse(session_remaining(request))


@never_cache
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """ "Stay signed in": the middleware has just slid the idle timeout; report the new one."""
    if not request.user.is_authenticated:
        return JsonResponse(
            {"detail": _("Not signed in."), "code": "not_authenticated"}, status=401
        )
    return JsonResponse(session_remaining(request))


# --- One-time code methods (email, SMS) ---------------------------------------------------------


def _channel(name: str) -> str:
    try:
        return CHANNELS[name]
    except KeyError:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
@require_recent_mfa
def code_method_setup(request: HttpRequest, channel_name: str) -> HttpResponse:
    """Turn on codes by email or SMS: send a code to the address, then type it back."""
    channel = _channel(channel_name)
    user = _user(request)
    pending = codes.code_pending(request, user=user, purpose=codes.PURPOSE_ENROL)
    if pending is not None and pending.channel != channel:
        pending = None
    code_form, phone_form = CodeForm(), PhoneForm(initial={"phone": user.phone_number})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "send":
            destination: str | None = None
            if channel == codes.SMS:
                phone_form = PhoneForm(request.POST)
                if phone_form.is_valid():
                    destination = phone_form.cleaned_data["phone"]
            if channel == codes.EMAIL or destination:
                try:
                    sent = codes.code_send(
                        request,
                        user=user,
                        channel=channel,
                        purpose=codes.PURPOSE_ENROL,
                        destination=destination,
                    )
                except codes.CodeSendRefused as exc:
                    messages.error(request, str(exc))
                else:
                    where = codes.mask_destination(channel, sent.destination)
                    messages.success(request, _("We sent a code to %(where)s.") % {"where": where})
                return redirect(request.path)
            status = 400
        elif action == "verify" and pending is not None:
            code_form = CodeForm(request.POST)
            if code_form.is_valid():
                confirmed = codes.code_verify(
                    request, user=user, code=code_form.cleaned_data["code"], purpose=pending.purpose
                )
                if confirmed is not None:
                    codes.code_method_enable(
                        user=user, channel=channel, destination=confirmed.destination
                    )
                    if channel == codes.EMAIL:
                        done = _("Codes by email are now a way to verify it's you.")
                    else:
                        done = _("Codes by text message are now a way to verify it's you.")
                    messages.success(request, done)
                    return redirect("mfa_index")
                code_form.add_error(
                    "code", "That code is not right, or it has expired. Check it or send a new one."
                )
                pending = codes.code_pending(request, user=user, purpose=codes.PURPOSE_ENROL)
            status = 400
        else:
            return HttpResponse("Unknown action.", status=400)
    return render(
        request,
        "accounts/security/code_method_setup.html",
        {
            "channel": channel,
            "pending": pending,
            "pending_to": codes.mask_destination(channel, pending.destination) if pending else "",
            "email_to": codes.mask_destination(codes.EMAIL, user.email),
            "code_form": code_form,
            "phone_form": phone_form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@require_recent_mfa
def code_method_remove(request: HttpRequest, channel_name: str) -> HttpResponse:
    channel = _channel(channel_name)
    method = get_object_or_404(OneTimeCodeMethod, user=request.user, channel=channel)
    blocked = is_last_required_factor(request.user, removing=f"{channel}_code")
    if request.method == "POST":
        try:
            codes.code_method_remove(actor=request.user, user=_user(request), channel=channel)
        except ValidationError:
            blocked = True  # the page explains why; nothing was removed
        else:
            messages.success(
                request,
                _("%(channel)s codes are turned off.") % {"channel": method.get_channel_display()},
            )
            return redirect("mfa_index")
    return render(
        request,
        "accounts/security/code_method_remove.html",
        {"method": method, "blocked": blocked},
        status=400 if request.method == "POST" else 200,
    )


# --- Second factor by code: at sign-in and to confirm it is you -----------------------------------


@require_POST
@login_stage_required(stage=AuthenticateStage.key, redirect_urlname="account_login")
def mfa_code_send(request: HttpRequest) -> HttpResponse:
    """At the sign-in challenge: send a code by the chosen method."""
    user = request._login_stage.login.user  # type: ignore[attr-defined]
    _send_code(request, user=user, purpose=codes.PURPOSE_SIGN_IN)
    return redirect("mfa_authenticate")


def _send_code(request: HttpRequest, *, user: Any, purpose: str) -> None:
    channel = CHANNELS.get(request.POST.get("channel", ""))
    if (
        channel is None
        or not OneTimeCodeMethod.objects.filter(
            user=user, channel=channel, verified_at__isnull=False
        ).exists()
    ):
        messages.error(request, _("Choose one of your verification methods."))
        return
    try:
        sent = codes.code_send(request, user=user, channel=channel, purpose=purpose)
    except (codes.CodeSendRefused, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        where = codes.mask_destination(channel, sent.destination)
        messages.success(
            request, _("We sent a code to %(where)s. It expires in 10 minutes.") % {"where": where}
        )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_code_reauthenticate(request: HttpRequest) -> HttpResponse:
    """Confirm it is you with a code by email or SMS (users whose factors are code methods)."""
    next_url = _safe_next(request, reverse("mfa_index"))
    form = ReauthenticateCodeForm(user=request.user)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "send":
            _send_code(request, user=request.user, purpose=codes.PURPOSE_REAUTHENTICATE)
            return redirect(f"{request.path}?next={next_url}")
        form = ReauthenticateCodeForm(user=request.user, data=request.POST)
        if form.is_valid():
            form.save()
            resumed = resume_request(request)
            return resumed if resumed is not None else redirect(next_url)
        status = 400
    return render(
        request,
        "accounts/security/reauthenticate_code.html",
        {
            "form": form,
            "next": next_url,
            "pending": codes.code_pending(
                request, user=request.user, purpose=codes.PURPOSE_REAUTHENTICATE
            ),
        },
        status=status,
    )


# --- Admin: reset a user's MFA --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require_site_perm("user.manage")
@require_recent_mfa
def mfa_reset_view(request: HttpRequest, public_id: str) -> HttpResponse:
    person = get_object_or_404(
        User.objects.filter(users_visible_to(request.user)), public_id=public_id
    )
    if request.method == "POST":
        removed = mfa_reset(actor=request.user, user=person)
        if removed:
            messages.success(
                request, _("Removed every second factor of %(email)s.") % {"email": person.email}
            )
        else:
            messages.info(
                request, _("%(email)s had no second factor to remove.") % {"email": person.email}
            )
        return redirect("accounts:person", public_id=person.public_id)
    return render(
        request,
        "accounts/security/mfa_reset.html",
        {"person": person, "overview": mfa_overview(person)},
    )
