"""Browser sessions: the idle and absolute limits, privilege changes, and the list of a
user's signed-in devices.

Django and allauth sign users in and out and give a new session key at sign-in; what no
library does for us is written here:

* an idle timeout that every request slides forward (SYLLABUS_SESSION_IDLE_MINUTES) and
  an absolute lifetime counted from sign-in (SYLLABUS_SESSION_MAX_HOURS), both enforced on
  the server by ``SessionPolicyMiddleware``;
* a new session key when the user's privileges change (roles, staff, superuser);
* ``UserSession`` rows, one per signed-in browser, for the "active sessions" page, where a
  user signs out their other browsers (their Django sessions are deleted with them).

To keep writes low, the last-activity time in the session and the ``UserSession`` row are
refreshed at most once a minute; the idle limit counts from that time, and pages tell the
browser how long is really left (see ``session_remaining``).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from syllabus.accounts.models import UserSession
from syllabus.audit.services import record
from syllabus.core.middleware import client_ip

AUTH_AT = "syllabus.auth_at"  # when the user signed in (epoch seconds)
SEEN_AT = "syllabus.seen_at"  # last request that slid the idle timeout
PRIVILEGES = "syllabus.privileges"  # fingerprint of roles and flags at the last check
TOUCH_EVERY = 60  # seconds between writes of SEEN_AT and UserSession.last_seen_at

# --- Devices ------------------------------------------------------------------------------

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
    (r"^curl/", "curl"),
    (r"python-requests|python-httpx|Python-urllib", "Python"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"Windows", "Windows"),
    (r"Android", "Android"),
    (r"iPhone|iPad|iPod", "iOS"),
    (r"CrOS", "ChromeOS"),
    (r"Macintosh|Mac OS X", "macOS"),
    (r"Linux|X11", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short, human description of a user agent: "Firefox on Linux"."""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown device")


# --- Session policy -----------------------------------------------------------------------


def privilege_fingerprint(user: Any) -> str:
    """Changes whenever the user's site roles, staff or superuser flags change."""
    from syllabus.accounts.permissions import site_role_slugs

    roles = ",".join(sorted(site_role_slugs(user)))
    material = f"{user.pk}|{roles}|{int(user.is_staff)}|{int(user.is_superuser)}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def session_remaining(request: HttpRequest, now: float | None = None) -> dict[str, int]:
    """Seconds left before the idle and the absolute limits end this session."""
    now = time.time() if now is None else now
    session = request.session
    seen_at = float(session.get(SEEN_AT, now))
    auth_at = float(session.get(AUTH_AT, now))
    return {
        "idle_seconds": max(0, round(seen_at + settings.SESSION_IDLE_MINUTES * 60 - now)),
        "absolute_seconds": max(0, round(auth_at + settings.SESSION_MAX_HOURS * 3600 - now)),
    }


def session_started(request: HttpRequest, user: Any) -> UserSession | None:
    """At sign-in: start the clocks, remember the privileges, list the browser."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    now = time.time()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[PRIVILEGES] = privilege_fingerprint(user)
    if session.session_key is None:
        session.save()
    user_agent = request.headers.get("User-Agent", "")[:512]
    row, _ = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "last_seen_at": timezone.now(),
            "ip": client_ip(request),
            "user_agent": user_agent,
            "device": describe_device(user_agent)[:100],
        },
    )
    return row


def session_ended(request: HttpRequest) -> None:
    """At sign-out: the browser leaves the list."""
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _expired(request: HttpRequest, now: float) -> str | None:
    left = session_remaining(request, now)
    if left["absolute_seconds"] <= 0:
        return "absolute"
    if left["idle_seconds"] <= 0:
        return "idle"
    return None


def session_touch(request: HttpRequest, *, now: float, force: bool = False) -> None:
    """Slide the idle timeout (at most one write a minute unless ``force``)."""
    session = request.session
    seen_at = float(session.get(SEEN_AT, 0))
    if not force and now - seen_at < TOUCH_EVERY:
        return
    session[SEEN_AT] = now
    if session.session_key:
        UserSession.objects.filter(session_key=session.session_key).update(
            last_seen_at=timezone.now(), ip=client_ip(request)
        )


def session_check_privileges(request: HttpRequest) -> bool:
    """New session key when the user's privileges changed since the last check."""
    session = request.session
    current = privilege_fingerprint(request.user)
    stored = session.get(PRIVILEGES)
    if stored == current:
        return False
    session[PRIVILEGES] = current
    if stored is None:  # a session from before this check existed: nothing to compare
        return False
    old_key = session.session_key
    session.cycle_key()
    if old_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=session.session_key)
    return True


# --- The active sessions page -------------------------------------------------------------


def user_session_list(*, user: Any) -> QuerySet[UserSession]:
    """The user's signed-in browsers that have not passed the idle or absolute limit."""
    now = timezone.now()
    # One TOUCH_EVERY of slack: last_seen_at is refreshed at most once a minute.
    idle_cutoff = now - timedelta(minutes=settings.SESSION_IDLE_MINUTES, seconds=TOUCH_EVERY)
    return UserSession.objects.filter(
        user=user,
        last_seen_at__gte=idle_cutoff,
        created_at__gte=now - timedelta(hours=settings.SESSION_MAX_HOURS),
    ).order_by("-last_seen_at")


def _end_django_session(session_key: str) -> None:
    _session_store()().delete(session_key)


@transaction.atomic
def user_session_revoke(*, actor: Any, session: UserSession) -> None:
    """Sign one browser out: its Django session and its row go; audited."""
    _end_django_session(session.session_key)
    record(
        actor=actor,
        action="auth.session_revoked",
        target=session.user,
        details={"device": session.device, "ip": session.ip, "session": session.pk},
    )
    session.delete()


@transaction.atomic
def user_sessions_revoke_others(*, actor: Any, user: Any, current_key: str | None) -> int:
    """Sign out every other browser of ``user``; returns how many were signed out."""
    others = list(UserSession.objects.filter(user=user).exclude(session_key=current_key or ""))
    for other in others:
        _end_django_session(other.session_key)
    if others:
        record(
            actor=actor,
            action="auth.session_revoked",
            target=user,
            details={"count": len(others), "others": True},
        )
        UserSession.objects.filter(pk__in=[other.pk for other in others]).delete()
    return len(others)


def user_sessions_purge_stale(*, now: datetime | None = None) -> int:
    """Remove rows of sessions past a limit (the browser never came back to be signed out)."""
    now = now or timezone.now()
    idle_cutoff = now - timedelta(minutes=settings.SESSION_IDLE_MINUTES, seconds=TOUCH_EVERY)
    stale = UserSession.objects.filter(last_seen_at__lt=idle_cutoff) | UserSession.objects.filter(
        created_at__lt=now - timedelta(hours=settings.SESSION_MAX_HOURS)
    )
    keys = list(stale.values_list("session_key", flat=True))
    store = _session_store()()
    for key in keys:
        store.delete(key)
    deleted, _ = UserSession.objects.filter(session_key__in=keys).delete()
    return deleted


# --- Middleware ---------------------------------------------------------------------------


def _passive_paths() -> frozenset[str]:
    """Requests that read the session clock without sliding it (the page's timer asks)."""
    return frozenset({reverse("accounts:session_status")})


def _forcing_paths() -> frozenset[str]:
    """Requests that always slide it ("Stay signed in")."""
    return frozenset({reverse("accounts:session_keepalive")})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class SessionPolicyMiddleware:
    """Ends sessions past the idle or absolute limit, slides the idle timeout, and gives
    a new session key when the user's privileges change.

    Sits after AuthenticationMiddleware. A session that ran out is signed out before the
    view runs: a page request is sent to sign-in with a message; a JSON or htmx request
    continues as anonymous (the API answers 401), htmx with an ``HX-Redirect``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        now = time.time()
        session = request.session
        if AUTH_AT not in session:  # signed in before this policy existed
            session[AUTH_AT] = now
            session[SEEN_AT] = now
        reason = _expired(request, now)
        if reason is not None:
            return self._sign_out(request, reason)
        path = request.path_info
        if path not in _passive_paths():
            session_touch(request, now=now, force=path in _forcing_paths())
        session_check_privileges(request)
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        if reason == "idle":
            text = (
                f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without "
                "activity. Sign in again to continue."
            )
        else:
            text = (
                f"Your session reached its {settings.SESSION_MAX_HOURS}-hour limit. "
                "Sign in again to continue."
            )
        if request.path.startswith("/api/"):
            return self.get_response(request)  # continues anonymous: the API answers 401
        # Also for the page's own timer (JSON): the page it loads next shows the message.
        messages.info(request, text)
        if _wants_json(request):
            return JsonResponse({"detail": text, "code": "session_expired"}, status=401)
        target = request.get_full_path() if request.method == "GET" else "/"
        response = redirect_to_login(target, reverse("account_login"))
        if request.headers.get("HX-Request"):
            # htmx follows a 302 inside the page; this header makes it load the page.
            hx_response = HttpResponse(status=204)
            hx_response["HX-Redirect"] = response["Location"]
            return hx_response
        return response
