"""Certificate pages: the learner's list and download, a course's list with revoke and
reissue, its settings, and the public verification page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from syllabus.certificates.codes import normalize_code
from syllabus.certificates.forms import RevokeForm, SettingsForm, VerifyForm
from syllabus.certificates.models import Certificate
from syllabus.certificates.permissions import (
    can_download,
    can_manage_certificates,
    can_view_course_certificates,
)
from syllabus.certificates.selectors import (
    certificate_by_code,
    certificates_of,
    course_certificates,
)
from syllabus.certificates.services import (
    certificate_reissue,
    certificate_render_pdf,
    certificate_revoke,
    certificate_settings_for,
    certificate_settings_update,
)
from syllabus.core.forms import add_service_errors
from syllabus.core.middleware import client_ip
from syllabus.core.ranged import ranged_file_response
from syllabus.core.ratelimit import Decision, limiter
from syllabus.courses.models import Course
from syllabus.courses.permissions import courses_visible_to

COURSE_PAGE_SIZE = 50
MINE_PAGE_SIZE = 50
VERIFY_BUCKET = "certificate-verify"


def _course(request: HttpRequest, public_id: str) -> Course:
    course = Course.objects.filter(courses_visible_to(request.user), public_id=public_id).first()
    if course is None:
        raise Http404
    return course


def _certificate(public_id: str) -> Certificate:
    certificate = (
        Certificate.objects.select_related("course", "user").filter(public_id=public_id).first()
    )
    if certificate is None:
        raise Http404
    return certificate


def _require_manage(request: HttpRequest, certificate: Certificate) -> None:
    if not can_manage_certificates(request.user, certificate.course):
        raise PermissionDenied(_("Revoking and reissuing certificates needs course.edit here."))


def _back_to_course(certificate: Certificate) -> HttpResponse:
    if certificate.course is not None:
        return redirect("certificates:course_list", public_id=certificate.course.public_id)
    return redirect("certificates:mine")


# --- The learner --------------------------------------------------------------------------


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    page = Paginator(certificates_of(request.user), MINE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    return render(
        request,
        "certificates/mine.html",
        {"page": page, "rows": [(c, c.status_at(now)) for c in page.object_list]},
    )


def _filename(certificate: Certificate) -> str:
    title = slugify(certificate.course_title)[:60] or "course"
    return f"certificate-{title}-{certificate.code}.pdf"


@login_required
@require_safe
def download(request: HttpRequest, public_id: str) -> HttpResponseBase:
    certificate = _certificate(public_id)
    if not can_download(request.user, certificate):
        raise PermissionDenied(_("Only the learner and the course's staff may download it."))
    return pdf_response(request, certificate)


def _ensure_pdf(certificate: Certificate) -> None:
    """Draw the PDF now if the job has not stored it yet (or storage lost it)."""
    if not certificate.pdf or not default_storage.exists(certificate.pdf.name):
        certificate_render_pdf(certificate=certificate)


def _pdf_headers(response: HttpResponseBase) -> HttpResponseBase:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(request: HttpRequest, certificate: Certificate) -> HttpResponseBase:
    """The stored PDF as a download (Range requests honoured)."""
    _ensure_pdf(certificate)
    response = ranged_file_response(
        request,
        default_storage,
        certificate.pdf.name,
        "application/pdf",
        filename=_filename(certificate),
        as_attachment=True,
    )
    return _pdf_headers(response)


def pdf_bytes_response(certificate: Certificate) -> HttpResponseBase:
    """The stored PDF in one response body (the API's form: a certificate is small)."""
    _ensure_pdf(certificate)
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type="application/pdf")
    response.headers["Content-Disposition"] = (
        content_disposition_header(True, _filename(certificate)) or ""
    )
    return _pdf_headers(response)


# --- A course's certificates --------------------------------------------------------------


@login_required
@require_safe
def course_list(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    if not can_view_course_certificates(request.user, course):
        raise PermissionDenied(_("Seeing a course's certificates needs course.view_learners here."))
    page = Paginator(course_certificates(course), COURSE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    return render(
        request,
        "certificates/course_list.html",
        {
            "course": course,
            "page": page,
            "rows": [(c, c.status_at(now)) for c in page.object_list],
            "can_manage": can_manage_certificates(request.user, course),
            "course_settings": certificate_settings_for(course),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def course_settings(request: HttpRequest, public_id: str) -> HttpResponse:
    course = _course(request, public_id)
    if not can_manage_certificates(request.user, course):
        raise PermissionDenied(_("Changing certificate settings needs course.edit here."))
    current = certificate_settings_for(course)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"enabled": current.enabled, "validity_days": current.validity_days},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                certificate_settings_update(
                    actor=request.user,
                    course=course,
                    enabled=form.cleaned_data["enabled"],
                    validity_days=form.cleaned_data["validity_days"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Certificate settings saved."))
                return redirect("certificates:course_list", public_id=course.public_id)
        status = 400
    else:
        status = 200
    return render(
        request, "certificates/settings.html", {"course": course, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    certificate = _certificate(public_id)
    _require_manage(request, certificate)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if certificate.revoked_at is not None:
        messages.error(
            request,
            _("Certificate %(code)s is already revoked.") % {"code": certificate.code},
        )
        return _back_to_course(certificate)
    if request.method == "POST":
        if form.is_valid():
            try:
                certificate_revoke(
                    actor=request.user,
                    certificate=certificate,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Certificate %(code)s of %(name)s is revoked.")
                    % {"code": certificate.code, "name": certificate.learner_name},
                )
                return _back_to_course(certificate)
        status = 400
    return render(
        request,
        "certificates/revoke.html",
        {"certificate": certificate, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def reissue(request: HttpRequest, public_id: str) -> HttpResponse:
    certificate = _certificate(public_id)
    _require_manage(request, certificate)
    if certificate.replaced_at is not None:
        messages.error(
            request,
            _("Certificate %(code)s was already replaced.") % {"code": certificate.code},
        )
        return _back_to_course(certificate)
    if request.method == "POST":
        try:
            new = certificate_reissue(actor=request.user, certificate=certificate)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Certificate %(new)s issued to %(name)s; %(old)s no longer verifies.")
                % {"new": new.code, "name": new.learner_name, "old": certificate.code},
            )
        return _back_to_course(certificate)
    return render(request, "certificates/reissue.html", {"certificate": certificate})


# --- Public verification ------------------------------------------------------------------


def verify_refusal(request: HttpRequest) -> Decision | None:
    """Count one code look-up for the client's address; the decision when refused."""
    if not settings.RATE_LIMIT_ENABLED:
        return None
    decision = limiter().hit(
        settings.CERTIFICATE_VERIFY_RATE, VERIFY_BUCKET, client_ip(request) or "unknown"
    )
    return None if decision.allowed else decision


def _too_many(request: HttpRequest, decision: Decision) -> HttpResponse:
    response = render(
        request,
        "certificates/verify_429.html",
        {"retry_after": max(decision.reset, 1)},
        status=429,
    )
    for name, value in decision.headers().items():
        response[name] = value
    return response


def _public(response: HttpResponse) -> HttpResponse:
    # The answer changes when a certificate is revoked or expires; names stay out of
    # search engines.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """Type a code; a well-formed one goes to its verification page."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_bound:
        if form.is_valid():
            return redirect("certificates:verify", code=form.cleaned_data["code"])
        return _public(render(request, "certificates/verify_form.html", {"form": form}, status=400))
    return _public(render(request, "certificates/verify_form.html", {"form": form}))


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    refused = verify_refusal(request)
    if refused is not None:
        return _too_many(request, refused)
    canonical = normalize_code(code)
    if canonical is not None and canonical != code:
        return redirect("certificates:verify", code=canonical)
    certificate = certificate_by_code(canonical) if canonical else None
    if certificate is None:
        return _public(
            render(
                request,
                "certificates/verify_not_found.html",
                {"form": VerifyForm(initial={"code": code[:64]}), "code": code[:64]},
                status=404,
            )
        )
    # Only the name, the course, the date and the status: nothing else about the learner.
    context: dict[str, Any] = {
        "name": certificate.learner_name,
        "course_title": certificate.course_title,
        "completed_at": certificate.completed_at,
        "status": certificate.status_at(timezone.now()),
        "code": certificate.code,
    }
    return _public(render(request, "certificates/verify.html", context))
