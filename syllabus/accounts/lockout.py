"""Lockout after repeated failed sign-ins: django-axes glue, selectors and the unlock service.

django-axes counts failures and refuses sign-in. What Syllabus adds:

* the hooks axes calls (``AXES_USERNAME_CALLABLE``, ``AXES_CLIENT_IP_CALLABLE``,
  ``AXES_LOCKOUT_CALLABLE``): one normalised account key whatever the entry point (the
  allauth form posts ``login``, ``authenticate()`` gets ``email``), the client address
  shared with logs and audit, and a lockout answer identical to a wrong password;
* ``lockout_list`` (what is locked now, for the lockouts page and CLI) and
  ``lockout_clear`` (the audited unlock). axes has no selector for current lockouts:
  its records are per (account, address, browser), so the list aggregates them exactly
  as axes' database handler does when it decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.models import User
from syllabus.accounts.permissions import has_site_perm
from syllabus.audit.services import record
from syllabus.core.middleware import client_ip

ACCOUNT, ADDRESS = "account", "address"


# --- Hooks called by django-axes ----------------------------------------------------------


def axes_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt is for, lower-cased, from credentials or the posted form."""
    value: Any = None
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        data = getattr(request, "POST", {}) or {}
        value = data.get("login") or data.get("email") or data.get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:255]


def axes_client_ip(request: HttpRequest) -> str | None:
    return client_ip(request)


def axes_lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponseBase:
    """A locked account gets exactly the answer a wrong password gets.

    The sign-in view already answered "email or password not correct" (axes made
    ``authenticate()`` fail), so that response is returned unchanged: nothing tells an
    attacker whether the account exists or is locked. axes' own lockout page would.
    """
    if isinstance(original_response, HttpResponseBase):
        return original_response
    # Only axes' async path calls without the original response; we serve WSGI.
    return HttpResponse("The email address and/or password you specified are not correct.")


def cool_off(request: HttpRequest | None = None) -> timedelta:
    return timedelta(minutes=settings.LOCKOUT_MINUTES)


# --- Selectors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    kind: str  # ACCOUNT ("account") or ADDRESS ("address")
    value: str  # the email, or the IP address
    failures: int
    since: datetime  # the failure that locked it
    until: datetime

    @property
    def label(self) -> str:
        return "Account" if self.kind == ACCOUNT else "IP address"


def lockout_list(*, now: datetime | None = None) -> list[Lockout]:
    """Accounts and addresses locked now, newest first.

    axes refuses a sign-in when the failures of the attempt's account, or of its address,
    recorded within the cool-off period add up to the limit; the same sums are made here.
    """
    now = now or timezone.now()
    window = cool_off()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - window)
    lockouts: list[Lockout] = []
    # axes stores an attempt without an account or an address with NULL there.
    for kind, field in ((ACCOUNT, "username"), (ADDRESS, "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.LOCKOUT_ATTEMPTS)
        )
        lockouts.extend(
            Lockout(
                kind=kind,
                value=str(row[field]),
                failures=int(row["failures"]),
                since=row["last"],
                until=row["last"] + window,
            )
            for row in rows
        )
    return sorted(lockouts, key=lambda lockout: lockout.since, reverse=True)


def can_manage_lockouts(user: Any) -> bool:
    return has_site_perm(user, "lockout.manage")


# --- Services ------------------------------------------------------------------------------


@transaction.atomic
def lockout_clear(*, actor: Any, email: str | None = None, ip: str | None = None) -> int:
    """Forget the failed sign-ins of one account or one address; audited as ``auth.unlock``.

    ``actor`` None is the operator at the CLI. Returns how many failure records were
    removed; clearing something that has none is refused and changes nothing.
    """
    if actor is not None and not can_manage_lockouts(actor):
        raise PermissionDenied(_("You do not have permission to clear lockouts."))
    email = (email or "").strip().lower() or None
    ip = (ip or "").strip() or None
    if bool(email) == bool(ip):
        raise ValidationError(_("Give either an email address or an IP address."))
    if email:
        attempts = AccessAttempt.objects.filter(username=email)
    else:
        attempts = AccessAttempt.objects.filter(ip_address=ip)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    if not failures:
        raise ValidationError(
            _("No failed sign-ins are recorded for %(who)s.") % {"who": email or ip}
        )
    removed = (
        AxesProxyHandler.reset_attempts(username=email)
        if email
        else (AxesProxyHandler.reset_attempts(ip_address=ip))
    )
    record(
        actor=actor,
        action="auth.unlock",
        target=User.objects.filter(email__iexact=email).first() if email else None,
        details={"email": email, "ip": ip, "failures_cleared": failures, "records": removed},
    )
    return int(removed)


def lockout_recorded(*, request: HttpRequest | None, username: str | None, ip: str | None) -> None:
    """Audit a new lockout (axes' ``user_locked_out`` signal; see accounts.signals).

    axes sends that signal for the failure that reaches the limit and again for every
    refused attempt while locked; only the first is a new lockout. During a lockout axes
    does not count the refused attempt, so it leaves ``axes_failures_since_start`` unset.
    """
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    record(
        actor=None,
        action="auth.lockout",
        target=User.objects.filter(email__iexact=username).first() if username else None,
        details={
            "email": username,
            "ip": ip,
            "failures": failures,
            "minutes": settings.LOCKOUT_MINUTES,
        },
    )
