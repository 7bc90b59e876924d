"""Privacy pages: a person's own data and requests, consent, and the compliance desk."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.accounts.permissions import has_site_perm, require_site_perm
from syllabus.accounts.sensitive import sensitive_action
from syllabus.accounts.tokens import request_ip
from syllabus.core.forms import add_service_errors
from syllabus.core.markdown import render_markdown
from syllabus.privacy import registry
from syllabus.privacy import retention as retention_service
from syllabus.privacy.exports import export_open, filename_for, may_download
from syllabus.privacy.forms import (
    ConsentForm,
    ErasureRequestForm,
    OnBehalfForm,
    PolicyForm,
    ReviewForm,
)
from syllabus.privacy.models import DataRequest, PolicyDocument, RetentionRun
from syllabus.privacy.selectors import (
    consents_of,
    current_policies,
    missing_consents,
    requests_for_officer,
    requests_of,
)
from syllabus.privacy.services import (
    consent_accept,
    policy_publish,
    request_create,
    request_review,
)

PAGE_SIZE = 25
# The retention page's words for the seed's categories and disposals (the codes stay English).
CATEGORY_LABELS = {
    registry.Category.USER_PROFILES: gettext_lazy("User profiles"),
    registry.Category.COURSE_PROGRESS: gettext_lazy("Course progress"),
    registry.Category.ASSESSMENT_RESULTS: gettext_lazy("Assessment results"),
    registry.Category.SYSTEM_LOGS: gettext_lazy("System logs"),
    registry.Category.AUDIT_LOGS: gettext_lazy("Audit logs"),
}
ERASURE_LABELS = {
    registry.Erasure.DELETE: gettext_lazy("deleted"),
    registry.Erasure.ANONYMISE: gettext_lazy("anonymised"),
    registry.Erasure.KEEP: gettext_lazy("kept, no longer naming the person"),
}
DISPOSAL_LABELS = {
    "secure deletion": gettext_lazy("secure deletion"),
    "anonymisation": gettext_lazy("anonymisation"),
    "archive": gettext_lazy("archive"),
    "deletion": gettext_lazy("deletion"),
}
OFFICER_PERMS = ("export.run", "retention.manage")


def _home_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "requests": requests_of(request.user)[:50],
        "consents": consents_of(request.user),
        "policies": current_policies(),
        "erasure_form": ErasureRequestForm(),
        "response_days": 30,
        **extra,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/home.html", _home_context(request))


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    try:
        request_create(actor=request.user, subject=request.user, kind=DataRequest.Kind.ACCESS)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(request, "privacy/home.html", _home_context(request), status=400)
    messages.success(
        request,
        _("Your export is being prepared. You will get a notification with a download link."),
    )
    return redirect("privacy:home")


@login_required
@require_POST
def erasure_request(request: HttpRequest) -> HttpResponse:
    form = ErasureRequestForm(request.POST)
    if form.is_valid():
        try:
            request_create(
                actor=request.user,
                subject=request.user,
                kind=DataRequest.Kind.ERASURE,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your erasure request was sent. A compliance officer reviews it within 30 days."),
            )
            return redirect("privacy:home")
    return render(
        request, "privacy/home.html", _home_context(request, erasure_form=form), status=400
    )


@login_required
def download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    data_request = get_object_or_404(
        DataRequest.objects.select_related("subject"),
        public_id=public_id,
        kind=DataRequest.Kind.ACCESS,
    )
    if not may_download(request.user, data_request):
        raise PermissionDenied(_("Only the person this export is about can download it."))
    return _download(request, data_request=data_request)


@sensitive_action  # all of a person's data: confirm it is them (second factor, or password)
def _download(request: HttpRequest, *, data_request: DataRequest) -> HttpResponseBase:
    try:
        handle = export_open(actor=request.user, request=data_request)
    except ValueError:
        return render(
            request, "privacy/download_gone.html", {"data_request": data_request}, status=410
        )
    response = FileResponse(handle, content_type="application/zip")
    response["Content-Disposition"] = (
        content_disposition_header(True, filename_for(data_request)) or "attachment"
    )
    response["Cache-Control"] = "no-store"
    return response


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@login_required
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest) -> HttpResponse:
    missing = missing_consents(request.user, request.session)
    documents = list(PolicyDocument.objects.filter(pk__in=missing).order_by("kind"))
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and documents:
        try:
            consent_accept(
                user=request.user,
                document_ids=[d.pk for d in documents],
                ip=request_ip(request),
                session=request.session,
            )
        except ValidationError as exc:  # a newer version was published meanwhile
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your acceptance is recorded."))
            return redirect(_safe_next(request))
    if request.method == "POST" and not documents:
        return redirect(_safe_next(request))
    return render(
        request,
        "privacy/consent.html",
        {
            "form": form,
            "documents": [(d, render_markdown(d.body)) for d in documents],
            "next": _safe_next(request),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def policy(request: HttpRequest, kind: str) -> HttpResponse:
    document = next((d for d in current_policies() if d.kind == kind), None)
    if document is None:
        raise Http404(_("No such document has been published."))
    return render(
        request,
        "privacy/policy.html",
        {"document": document, "body_html": render_markdown(document.body)},
    )


# --- Compliance desk -------------------------------------------------------------------


@require_site_perm(*OFFICER_PERMS)
def requests_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in DataRequest.Status.values:
        status = ""
    kind = request.GET.get("kind", "")
    if kind not in DataRequest.Kind.values:
        kind = ""
    overdue = request.GET.get("overdue") == "1"
    rows = requests_for_officer(request.user, status=status, kind=kind, overdue=overdue)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/requests.html",
        {
            "page": page,
            "rows": page.object_list,
            "statuses": DataRequest.Status.choices,
            "kinds": DataRequest.Kind.choices,
            "status": status,
            "kind": kind,
            "overdue": overdue,
            "form": OnBehalfForm(),
            "querystring": "&".join(
                f"{k}={v}" for k, v in (("status", status), ("kind", kind)) if v
            )
            + ("&overdue=1" if overdue else ""),
        },
    )


def _on_behalf_allowed(view: Any) -> Any:
    """Permission first (403), then the recent-MFA check of a sensitive action."""
    protected = sensitive_action(view)

    @require_site_perm(*OFFICER_PERMS)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return protected(request, *args, **kwargs)

    return wrapper


@require_POST
@_on_behalf_allowed
def request_for(request: HttpRequest) -> HttpResponseBase:
    form = OnBehalfForm(request.POST)
    if form.is_valid():
        subject = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if subject is None:
            form.add_error("email", _("No account has this email address."))
        else:
            try:
                created = request_create(
                    actor=request.user,
                    subject=subject,
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Request %(request)s recorded.") % {"request": created.public_id}
                )
                return redirect("privacy:review", public_id=created.public_id)
    rows = requests_for_officer(request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(1)
    return render(
        request,
        "privacy/requests.html",
        {
            "page": page,
            "rows": page.object_list,
            "statuses": DataRequest.Status.choices,
            "kinds": DataRequest.Kind.choices,
            "form": form,
        },
        status=400,
    )


def _visible_request(request: HttpRequest, public_id: str) -> DataRequest:
    data_request = get_object_or_404(
        DataRequest.objects.select_related("subject", "requested_by", "reviewed_by"),
        public_id=public_id,
    )
    needed = "export.run" if data_request.kind == DataRequest.Kind.ACCESS else "retention.manage"
    if not has_site_perm(request.user, needed):
        raise PermissionDenied(
            _("This request needs the %(permission)s permission.") % {"permission": needed}
        )
    return data_request


@require_http_methods(["GET", "POST"])
@require_site_perm(*OFFICER_PERMS)
def review(request: HttpRequest, public_id: str) -> HttpResponseBase:
    data_request = _visible_request(request, public_id)
    if request.method == "POST":
        return _review_post(request, data_request)
    return _review_page(request, data_request, ReviewForm())


def _review_page(
    request: HttpRequest, data_request: DataRequest, form: ReviewForm, status: int = 200
) -> HttpResponse:
    entries = registry.entries()
    return render(
        request,
        "privacy/review.html",
        {
            "data_request": data_request,
            "form": form,
            "can_review": (
                data_request.kind == DataRequest.Kind.ERASURE
                and data_request.status == DataRequest.Status.PENDING
                and data_request.subject_id != request.user.pk
            ),
            "erasure_rules": [
                (e, ERASURE_LABELS[e.erasure]) for e in entries if e.category is not None
            ],
        },
        status=status,
    )


@sensitive_action
def _review_post(request: HttpRequest, data_request: DataRequest) -> HttpResponseBase:
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            request_review(
                actor=request.user,
                request=data_request,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("privacy:review", public_id=data_request.public_id)
    return _review_page(request, data_request, form, status=400)


@require_http_methods(["GET", "POST"])
@require_site_perm("retention.manage")
def policies(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            document = policy_publish(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(document)s published: everyone is asked to accept it at their next visit.")
                % {"document": document},
            )
            return redirect("privacy:policies")
    return render(
        request,
        "privacy/policies.html",
        {"form": form, "documents": PolicyDocument.objects.all()[:50]},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_site_perm("retention.manage")
def retention(request: HttpRequest) -> HttpResponse:
    categories = [
        {
            "name": category.value,
            "label": CATEGORY_LABELS[category],
            "period_days": retention_service.period_days(category),
            "disposal": DISPOSAL_LABELS[retention_service.DISPOSAL[category]],
            "models": [e.label for e in registry.in_category(category)],
        }
        for category in retention_service.ORDER
    ]
    return render(
        request,
        "privacy/retention.html",
        {"categories": categories, "runs": RetentionRun.objects.all()[:20]},
    )
