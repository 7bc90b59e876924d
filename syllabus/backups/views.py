"""The backups page: the history of backups, verifications, restores and prunes, with
"Back up now" and "Verify" buttons that queue jobs. Restoring is a command-line task."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from syllabus.accounts.permissions import acting_user, require_site_perm
from syllabus.accounts.sensitive import sensitive_action
from syllabus.backups.crypto import BackupError
from syllabus.backups.forms import VerifyForm
from syllabus.backups.location import backup_location
from syllabus.backups.selectors import backup_state, run_list
from syllabus.backups.tasks import backup_now_task, backup_verify_task
from syllabus.core.jobs import enqueue_on_commit

PAGE_SIZE = 25


def _archive_names() -> tuple[list[str], str]:
    """Archive names in the location, and a sentence when the location cannot be read."""
    try:
        return [a.name for a in backup_location().list()], ""
    except (BackupError, OSError) as exc:
        return [], _("The backup location cannot be read: %(error)s.") % {
            "error": type(exc).__name__
        }


@require_site_perm("backup.run")
def backup_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request)


def _render_list(
    request: HttpRequest, *, verify_error: str = "", chosen: str = "", status: int = 200
) -> HttpResponse:
    page = Paginator(run_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    archives, location_error = _archive_names()
    return render(
        request,
        "backups/list.html",
        {
            "verify_error": verify_error,
            "chosen": chosen,
            "page": page,
            "state": backup_state(),
            "archives": archives[:50],
            "location": backup_location().description,
            "location_error": location_error,
            "retention_days": settings.BACKUP_RETENTION_DAYS,
            "daily": settings.BACKUP_DAILY,
            "hour": settings.BACKUP_HOUR,
            "max_age_hours": settings.BACKUP_MAX_AGE_HOURS,
        },
        status=status,
    )


@require_site_perm("backup.run")
@require_POST
def backup_now(request: HttpRequest) -> HttpResponseBase:
    return _backup_now(request)


@sensitive_action
def _backup_now(request: HttpRequest) -> HttpResponseBase:
    enqueue_on_commit(backup_now_task, acting_user(request).pk)
    messages.success(
        request,
        _(
            "A backup has been queued. It appears below as running, then with its size and "
            "duration; reload the page to follow it."
        ),
    )
    return redirect("backups:list")


@require_site_perm("backup.run")
@require_POST
def backup_verify(request: HttpRequest) -> HttpResponseBase:
    return _backup_verify(request)


@sensitive_action
def _backup_verify(request: HttpRequest) -> HttpResponseBase:
    archives, _error = _archive_names()
    form = VerifyForm(request.POST, archives=archives)
    if not form.is_valid():
        return _render_list(
            request,
            verify_error=str(form.errors["archive"][0]),
            chosen=str(request.POST.get("archive", ""))[:100],
            status=400,
        )
    archive = form.cleaned_data["archive"]
    enqueue_on_commit(backup_verify_task, archive, acting_user(request).pk)
    messages.success(
        request,
        _(
            "Verification of %(archive)s has been queued: it is restored into a scratch "
            "database and compared with its manifest."
        )
        % {"archive": archive},
    )
    return redirect("backups:list")
