from __future__ import annotations

import csv
import itertools
from datetime import datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from syllabus.accounts.permissions import require_site_perm, site_permissions, site_role_slugs
from syllabus.accounts.sensitive import sensitive_action
from syllabus.audit.catalog import POLICIES, Category
from syllabus.audit.models import AuditEvent
from syllabus.audit.selectors import event_list, readable_categories
from syllabus.audit.services import record
from syllabus.ops.forms import AuditFilterForm

PAGE_SIZE = 50
CSV_COLUMNS = (
    "occurred_at", "category", "action", "actor_label", "target_type", "target_id",
    "target_label", "ip", "user_agent", "request_id", "details", "hash",
)  # fmt: skip


def _reader_categories(request: HttpRequest) -> list[Category]:
    user = request.user
    if not user.is_authenticated:
        return []
    return readable_categories(
        role_slugs=site_role_slugs(user),
        permissions=site_permissions(user),
        is_superuser=user.is_superuser,
    )


def _filtered(request: HttpRequest, form: AuditFilterForm) -> QuerySet[AuditEvent]:
    categories = _reader_categories(request)
    data = form.cleaned_data if form.is_valid() else {}
    tz = timezone.get_current_timezone()
    since = data.get("since")
    until = data.get("until")
    return event_list(
        categories=categories,
        category=data.get("category", ""),
        action=data.get("action", ""),
        actor=data.get("actor", ""),
        since=datetime.combine(since, time.min, tzinfo=tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz) if until else None,
    )


def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail, limited to the categories the reader's roles open (seed 6.1)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    categories = _reader_categories(request)
    if not categories:
        raise PermissionDenied(_("Your roles do not include reading the audit trail."))
    form = AuditFilterForm(request.GET or None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    page = Paginator(_filtered(request, form), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "ops/audit_log.html",
        {
            "form": form,
            "page": page,
            "categories": [(c, POLICIES[c]) for c in categories],
            "can_export": "export.run" in site_permissions(request.user),
            "querystring": params.urlencode(),
        },
        status=status,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_site_perm("export.run")
@sensitive_action
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """CSV of the filtered events. Exports are themselves audited (report exports)."""
    categories = _reader_categories(request)
    if not categories:
        raise PermissionDenied(_("Your roles do not include reading the audit trail."))
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("The filters are not valid: %(errors)s") % {"errors": form.errors.as_text()},
            status=400,
        )
    events = _filtered(request, form)
    with transaction.atomic():
        record(
            actor=request.user,
            action="export.run",
            details={
                "export": "audit_trail",
                "filters": request.GET.dict(),
                "rows": events.count(),
            },
        )
    writer = csv.writer(_Echo())
    rows = (
        writer.writerow([str(getattr(event, column)) for column in CSV_COLUMNS])
        for event in events.iterator(chunk_size=2000)
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        itertools.chain([writer.writerow(CSV_COLUMNS)], rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
