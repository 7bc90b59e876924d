"""The compliance page (``compliance.view``: compliance officers, auditors,
administrators) and its CSV/PDF downloads (exports: ``export.run``, recent MFA, audited)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from syllabus.accounts.permissions import has_site_perm, require_site_perm
from syllabus.accounts.sensitive import sensitive_action
from syllabus.audit.services import record
from syllabus.compliance.evidence import Period, gather
from syllabus.compliance.report import STATUS_LABELS, report_csv, report_pdf
from syllabus.core.forms import DateRangeForm

DEFAULT_DAYS = 90


def _period(form: DateRangeForm) -> Period:
    since, until = form.dates(DEFAULT_DAYS)
    tz = timezone.get_current_timezone()
    return Period(
        since=datetime.combine(since, time.min, tzinfo=tz),
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz),
    )


@require_GET
@require_site_perm("compliance.view")
def overview(request: HttpRequest) -> HttpResponse:
    form = DateRangeForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    period = _period(form)
    period_end = period.until - timedelta(days=1)
    if valid:  # the fields show the period shown, defaults included
        form = DateRangeForm(initial={"since": period.since.date(), "until": period_end.date()})
    items = gather(period)
    counts = {s: sum(1 for i in items if i.status == s) for s in STATUS_LABELS}
    return render(
        request,
        "compliance/overview.html",
        {
            "form": form,
            "rows": [(item, STATUS_LABELS[item.status]) for item in items],
            "counts": counts,
            "period": period,
            "period_end": period_end,
            "can_export": has_site_perm(request.user, "export.run"),
            "querystring": request.GET.urlencode(),
        },
        status=200 if valid else 400,
    )


@require_GET
@require_site_perm("compliance.view")
@require_site_perm("export.run")
@sensitive_action
def download(request: HttpRequest, kind: str) -> HttpResponseBase:
    form = DateRangeForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            " ".join(str(e) for e in form.non_field_errors()) or _("Bad dates."), status=400
        )
    period = _period(form)
    items = gather(period)
    if kind == "csv":
        body, content_type = report_csv(items), "text/csv; charset=utf-8"
    elif kind == "pdf":
        body, content_type = report_pdf(items, period, settings.SITE_URL), "application/pdf"
    else:
        return HttpResponse(_("Choose csv or pdf."), status=404)
    record(
        actor=request.user,
        action="export.run",
        details={
            "export": "compliance_report",
            "format": kind,
            "rows": len(items),
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
        },
    )
    response = HttpResponse(body, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="compliance-{stamp}.{kind}"'
    response["Cache-Control"] = "no-store"
    return response
