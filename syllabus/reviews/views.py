"""Access review pages: campaigns (runners: the access review permission), a campaign
with its items, and "my reviews" for anyone with items to review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.accounts.permissions import acting_user, has_site_perm, require_site_perm
from syllabus.accounts.sensitive import sensitive_action
from syllabus.audit.services import record
from syllabus.reviews.forms import DecideForm, SignOffForm, StartForm
from syllabus.reviews.models import Campaign, ReviewItem
from syllabus.reviews.services import (
    PERMISSION,
    campaign_apply,
    campaign_sign_off,
    campaign_start,
    can_decide,
    item_decide,
    progress,
    remind_reviewers,
    sign_off_blockers,
)

PAGE_SIZE = 50
DONE = {
    ReviewItem.Decision.KEEP: gettext_lazy("%(holder)s (%(role)s): kept."),
    ReviewItem.Decision.REVOKE: gettext_lazy("%(holder)s (%(role)s): to be revoked."),
}
FILTERS = {
    "all": Q(),
    "pending": Q(decision=ReviewItem.Decision.PENDING),
    "privileged": Q(privileged=True),
    "leavers": ~Q(leaver_reason=""),
    "revoke": Q(decision=ReviewItem.Decision.REVOKE),
    "unassigned": Q(reviewer__isnull=True),
}
FILTER_LABELS = {
    "all": gettext_lazy("All"),
    "pending": gettext_lazy("Pending"),
    "privileged": gettext_lazy("Privileged"),
    "leavers": gettext_lazy("Leavers"),
    "revoke": gettext_lazy("Revoke"),
    "unassigned": gettext_lazy("Unassigned"),
}


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_http_methods(["GET", "POST"])
@require_site_perm(PERMISSION)
def campaigns(request: HttpRequest) -> HttpResponse:
    actor = acting_user(request)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_start(
                actor=actor,
                name=form.cleaned_data["name"],
                default_reviewer=form.cleaned_data["reviewer"],
            )
        except ValidationError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(
                request,
                _("%(campaign)s started: reviewers have been notified.")
                % {"campaign": campaign.name},
            )
            return redirect("reviews:campaign", campaign.public_id)
    rows = Campaign.objects.annotate(
        total=Count("items"),
        pending=Count("items", filter=Q(items__decision=ReviewItem.Decision.PENDING)),
    ).select_related("signed_off_by")
    return render(
        request,
        "reviews/campaigns.html",
        {"campaigns": rows, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
@require_site_perm(PERMISSION)
def campaign(request: HttpRequest, public_id: str) -> HttpResponse:
    item_campaign = get_object_or_404(Campaign, public_id=public_id)
    show = request.GET.get("show", "all")
    if show not in FILTERS:
        show = "all"
    items = (
        item_campaign.items.filter(FILTERS[show])
        .select_related("reviewer", "decided_by")
        .order_by("-privileged", "holder_email", "role_slug", "pk")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/campaign.html",
        {
            "campaign": item_campaign,
            "counts": progress(item_campaign),
            "page": page,
            "show": show,
            "filters": list(FILTER_LABELS.items()),
            "show_label": FILTER_LABELS[show],
            "blockers": sign_off_blockers(item_campaign),
            "sign_off_form": SignOffForm(),
            "actor": acting_user(request),
        },
    )


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Items waiting for the signed-in reviewer, across open campaigns."""
    actor = acting_user(request)
    items = (
        ReviewItem.objects.filter(
            reviewer=actor,
            decision=ReviewItem.Decision.PENDING,
            campaign__status=Campaign.Status.OPEN,
        )
        .exclude(holder=actor)
        .select_related("campaign")
        .order_by("campaign__due_at", "-privileged", "holder_email", "pk")
    )
    done = ReviewItem.objects.filter(
        decided_by=actor, campaign__status=Campaign.Status.OPEN
    ).count()
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/mine.html",
        {
            "page": page,
            "done": done,
            "form": DecideForm(),
            "is_runner": has_site_perm(actor, PERMISSION),
        },
    )


@require_POST
@login_required
def decide(request: HttpRequest, public_id: str) -> HttpResponse:
    actor = acting_user(request)
    item = get_object_or_404(ReviewItem.objects.select_related("campaign"), public_id=public_id)
    if not can_decide(actor, item):
        raise PermissionDenied(_("This item is not yours to review."))
    form = DecideForm(request.POST)
    back = request.POST.get("next") or ""
    target = (
        back
        if back in ("mine", "campaign")
        else ("campaign" if has_site_perm(actor, PERMISSION) else "mine")
    )
    if not form.is_valid():
        messages.error(
            request,
            _("Choose keep or revoke: %(errors)s") % {"errors": form.errors.as_text()}
            if form.errors
            else _("Choose keep or revoke."),
        )
    else:
        try:
            item_decide(
                actor=actor,
                item=item,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(
                request,
                _("%(holder)s (%(role)s): %(errors)s")
                % {"holder": item.holder_email, "role": item.role_name, "errors": _errors(error)},
            )
        else:
            messages.success(
                request,
                DONE[form.cleaned_data["decision"]]
                % {"holder": item.holder_email, "role": item.role_name},
            )
    if target == "campaign":
        return redirect("reviews:campaign", item.campaign.public_id)
    return redirect("reviews:mine")


@require_http_methods(["GET", "POST"])
@require_site_perm(PERMISSION)
def apply(request: HttpRequest, public_id: str) -> HttpResponse:
    """Confirm, then remove every role decided "revoke"."""
    item_campaign = get_object_or_404(Campaign, public_id=public_id)
    pending = item_campaign.items.filter(
        decision=ReviewItem.Decision.REVOKE, applied_at__isnull=True
    )
    if request.method == "POST":
        try:
            applied = campaign_apply(actor=acting_user(request), campaign=item_campaign)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            text = ngettext(
                "%(count)s role revoked.", "%(count)s roles revoked.", applied.revoked
            ) % {"count": applied.revoked}
            if applied.failed:
                messages.error(
                    request,
                    _("%(text)s %(failed)s could not be: see the list.")
                    % {"text": text, "failed": applied.failed},
                )
            else:
                messages.success(request, text)
        return redirect("reviews:campaign", item_campaign.public_id)
    return render(
        request,
        "reviews/apply_confirm.html",
        {"campaign": item_campaign, "pending": pending.select_related("decided_by")},
    )


@require_POST
@require_site_perm(PERMISSION)
def remind(request: HttpRequest, public_id: str) -> HttpResponse:
    item_campaign = get_object_or_404(Campaign, public_id=public_id, status=Campaign.Status.OPEN)
    count = remind_reviewers(campaign=item_campaign)
    messages.success(
        request,
        ngettext("%(count)s reviewer reminded.", "%(count)s reviewers reminded.", count)
        % {"count": count}
        if count
        else _("Nobody has items pending."),
    )
    return redirect("reviews:campaign", item_campaign.public_id)


@require_POST
@require_site_perm(PERMISSION)
def sign_off(request: HttpRequest, public_id: str) -> HttpResponse:
    item_campaign = get_object_or_404(Campaign, public_id=public_id)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the confirmation to sign the campaign off."))
    else:
        try:
            campaign_sign_off(
                actor=acting_user(request),
                campaign=item_campaign,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("Signed off. The CSV and PDF reports are archived below."))
    return redirect("reviews:campaign", item_campaign.public_id)


@require_GET
@require_site_perm(PERMISSION)
@require_site_perm("export.run")
@sensitive_action
def report(request: HttpRequest, public_id: str, kind: str) -> HttpResponseBase:
    """The archived report of a signed-off campaign. An export like any other: it needs
    the export permission and a recent MFA check, and is audited."""
    item_campaign = get_object_or_404(Campaign, public_id=public_id)
    stored = {"csv": item_campaign.report_csv, "pdf": item_campaign.report_pdf}.get(kind)
    if not stored:
        raise Http404(_("This campaign has no archived report yet: sign it off first."))
    record(
        actor=acting_user(request),
        action="export.run",
        target=item_campaign,
        details={
            "export": "access_review_report",
            "format": kind,
            "rows": item_campaign.items.count(),
        },
    )
    return FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"access-review-{item_campaign.quarter}.{kind}",
        content_type="text/csv" if kind == "csv" else "application/pdf",
    )
