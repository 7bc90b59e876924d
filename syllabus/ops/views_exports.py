"""Export controls (seed 1.2 / issue #6): every export of data out of Syllabus is audited
(``export.run``, and ``privacy.export_downloaded`` for personal data exports) with who,
what and how many rows. This page lists them for the people
who read the report-export audit category (security officers and administrators by
default), with totals per kind of export and per person over the chosen period."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from syllabus.audit.catalog import Category
from syllabus.audit.models import AuditEvent
from syllabus.core.forms import DateRangeForm
from syllabus.ops.views import _reader_categories

PAGE_SIZE = 50
DEFAULT_DAYS = 90
# Every way data leaves Syllabus: reports and lists (export.run) and a person's own data
# (GDPR export downloads).
EXPORT_ACTIONS = ("export.run", "privacy.export_downloaded")


class ExportFilterForm(DateRangeForm):
    actor = forms.CharField(
        required=False, max_length=254, label=gettext_lazy("Person (email contains)")
    )


def _rows(details: dict[str, object]) -> int:
    rows = details.get("rows")
    return rows if isinstance(rows, int) else 0


@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if Category.REPORT_EXPORT not in _reader_categories(request):
        raise PermissionDenied(_("Your roles do not include reading the export log."))
    form = ExportFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    since, until = form.dates(DEFAULT_DAYS)
    tz = timezone.get_current_timezone()
    if valid:  # the fields show the period shown, defaults included
        form = ExportFilterForm(initial={**data, "since": since, "until": until})
    events = AuditEvent.objects.filter(
        action__in=EXPORT_ACTIONS,
        occurred_at__gte=datetime.combine(since, time.min, tzinfo=tz),
        occurred_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz),
    )
    if data.get("actor"):
        events = events.filter(actor_label__icontains=data["actor"])
    events = events.order_by("-occurred_at", "-id")

    # Totals per kind of export and per person: read the (bounded) period once.
    by_kind: dict[str, dict[str, int]] = {}
    for details in events.values_list("details", flat=True).iterator(chunk_size=2000):
        kind = str(details.get("export", "other")) if isinstance(details, dict) else "other"
        entry = by_kind.setdefault(kind, {"count": 0, "rows": 0})
        entry["count"] += 1
        entry["rows"] += _rows(details) if isinstance(details, dict) else 0
    kinds = sorted(by_kind.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    people = list(
        events.order_by()
        .values("actor_label")
        .annotate(n=Count("id"))
        .order_by("-n", "actor_label")[:10]
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.export_kind = event.details.get("export", "other")
        event.export_rows = event.details.get("rows")
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "ops/exports.html",
        {
            "form": form,
            "page": page,
            "since": since,
            "until": until,
            "kinds": kinds,
            "kind_max": max((v["count"] for _, v in kinds), default=0),
            "people": people,
            "people_max": people[0]["n"] if people else 0,
            "total": sum(v["count"] for _, v in kinds),
            "total_rows": sum(v["rows"] for _, v in kinds),
            "querystring": params.urlencode(),
        },
        status=200 if valid else 400,
    )
