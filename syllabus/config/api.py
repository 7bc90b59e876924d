"""The JSON API root at /api/v1/. Each app adds its Router here.

Errors have one shape everywhere: ``{"detail": "...", "code": "..."}`` with a 4xx status.
Every endpoint needs a signed-in session (with CSRF for unsafe methods) or a bearer token
unless it says ``auth=None``; see syllabus.accounts.api and docs/api.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

import syllabus
from syllabus.accounts.api import api_auth
from syllabus.accounts.api import router as auth_router
from syllabus.accounts.api_roles import router as roles_router
from syllabus.accounts.api_security import router as security_router
from syllabus.assessments.api_attempts import router as quiz_attempts_router
from syllabus.assessments.api_authoring import router as quiz_authoring_router
from syllabus.assignments.api import router as assignments_router
from syllabus.backups.api import router as backups_router
from syllabus.certificates.api import router as certificates_router
from syllabus.communication.api import router as notifications_router
from syllabus.courses.api import router as courses_router
from syllabus.courses.api_announcements import router as announcements_router
from syllabus.courses.api_authoring import router as authoring_router
from syllabus.courses.api_catalog import router as catalog_router
from syllabus.courses.api_enrolment import router as enrolment_router
from syllabus.grades.api import router as grades_router
from syllabus.learning.api import router as learning_router
from syllabus.privacy.api import router as privacy_router

api = NinjaAPI(
    title="Syllabus API",
    version="1",
    description="The Syllabus learning management system's JSON API.",
    urls_namespace="api-v1",
    auth=api_auth,
)


def _error(
    request: HttpRequest, status: int, detail: str, code: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, **extra}, status=status)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, "The request is not valid.", "invalid", errors=exc.errors)


@api.exception_handler(ValidationError)
def _invalid_state(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, " ".join(exc.messages), "invalid")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    code = getattr(exc, "code", None)
    if code is None:  # no credentials at all
        return _error(request, 401, "Authentication is required.", "not_authenticated")
    return _error(request, exc.status_code, str(exc), code)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    code = getattr(exc, "code", "forbidden")
    return _error(request, 403, str(exc) or "You do not have permission to do this.", code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.", "not_found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        # ninja's body parser failed: not JSON, or not UTF-8.
        return _error(request, 400, "The request body is not valid JSON.", "invalid_json")
    return _error(request, exc.status_code, str(exc), getattr(exc, "code", "error"))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(
        request,
        413,
        f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        "too_large",
    )


@api.get("/version", auth=None, tags=["meta"], summary="The running Syllabus version")
def version(request: HttpRequest) -> dict[str, str]:
    return {"version": syllabus.__version__}


api.add_router("/auth", auth_router)
api.add_router("/", roles_router)
api.add_router("/", courses_router)
api.add_router("/", catalog_router)
api.add_router("/", authoring_router)
api.add_router("/", enrolment_router)
api.add_router("/", announcements_router)
api.add_router("/", learning_router)
api.add_router("/", notifications_router)
api.add_router("/", security_router)
api.add_router("/", quiz_authoring_router)
api.add_router("/", quiz_attempts_router)
api.add_router("/", assignments_router)
api.add_router("/", grades_router)
api.add_router("/", certificates_router)
api.add_router("/", privacy_router)
api.add_router("/", backups_router)
