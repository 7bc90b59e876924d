"""Notification pages: the list (mark one or all read) and the email preference.

Marking read works with htmx (the list region and the header badge are swapped in place)
and without JavaScript (a POST that redirects back to the same page of the list).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.accounts.permissions import acting_user
from syllabus.communication.forms import PreferenceForm
from syllabus.communication.models import NotificationPreference
from syllabus.communication.selectors import notification_get, notification_list
from syllabus.communication.services import (
    email_mode_of,
    notification_open,
    notifications_mark_all_read,
    notifications_mark_read,
    preference_set,
    unread_count,
)

PAGE_SIZE = 20
EMAIL_SUMMARY = {
    NotificationPreference.EmailMode.IMMEDIATE: _("Each notification is also emailed to you."),
    NotificationPreference.EmailMode.DAILY_DIGEST: _("You get one email a day that sums them up."),
    NotificationPreference.EmailMode.OFF: _("You get no emails about them."),
}


def _view_state(data: QueryDict) -> tuple[str, str]:
    """Which list the person was on: ``show`` (all or unread) and the page number."""
    show, page = data.get("show", ""), data.get("page", "")
    return ("unread" if show == "unread" else "all"), (page if page.isdigit() else "1")


def _list_url(show: str, page: str) -> str:
    params = {k: v for k, v in (("show", show), ("page", page)) if v not in ("all", "1")}
    url = reverse("communication:list")
    return f"{url}?{urlencode(params)}" if params else url


def _render_list(
    request: HttpRequest, show: str, page_number: str, status: str = ""
) -> HttpResponse:
    user = acting_user(request)
    page: Page = Paginator(
        notification_list(user=user, unread_only=show == "unread"), PAGE_SIZE
    ).get_page(page_number)
    return render(
        request,
        "communication/list.html",
        {
            "page": page,
            "show": show,
            "querystring": urlencode({"show": show}) if show != "all" else "",
            "unread": unread_count(user.pk),
            "email_summary": EMAIL_SUMMARY[NotificationPreference.EmailMode(email_mode_of(user))],
            "status": status,
        },
    )


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    show, page = _view_state(request.GET)
    return _render_list(request, show, page)


def _after_change(request: HttpRequest, message: str) -> HttpResponse:
    show, page = _view_state(request.POST)
    if request.headers.get("HX-Request"):
        # htmx swaps the list region, the status line and the header badge from this page.
        return _render_list(request, show, page, status=message)
    messages.success(request, message)
    return redirect(_list_url(show, page))


@login_required
@require_POST
def mark_read(request: HttpRequest, public_id: str) -> HttpResponse:
    notification = notification_get(user=request.user, public_id=public_id)
    if notification is None:
        raise Http404
    notifications_mark_read(user=request.user, public_ids=[public_id])
    return _after_change(request, f"Marked “{notification.title}” as read.")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = notifications_mark_all_read(user=request.user)
    if changed:
        message = ngettext(
            "Marked %(count)s notification as read.",
            "Marked %(count)s notifications as read.",
            changed,
        ) % {"count": changed}
    else:
        message = gettext("You had no unread notifications.")
    return _after_change(request, message)


@login_required
@require_GET
def open_notification(request: HttpRequest, public_id: str) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = notification_get(user=request.user, public_id=public_id)
    if notification is None:
        raise Http404
    notification_open(user=request.user, notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("communication:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    current = email_mode_of(request.user)
    form = PreferenceForm(request.POST or None, initial={"email_mode": current})
    if request.method == "POST" and form.is_valid():
        pref = preference_set(user=request.user, email_mode=form.cleaned_data["email_mode"])
        messages.success(
            request, gettext("Saved: %(mode)s.") % {"mode": pref.get_email_mode_display()}
        )
        return redirect("communication:preferences")
    return render(
        request,
        "communication/preferences.html",
        {
            "form": form,
            "current": NotificationPreference.EmailMode(current).label,
            "digest_time": f"{settings.NOTIFICATION_DIGEST_HOUR:02d}:00 ({settings.TIME_ZONE})",
        },
        status=400 if form.is_bound else 200,
    )
