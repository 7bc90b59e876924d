"""The JSON API root at /api/v1/. Each app adds its Router here.

Errors have one shape everywhere: ``{"detail": "...", "code": "..."}`` with a 4xx status.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

import syllabus

api = NinjaAPI(
    title="Syllabus API",
    version="1",
    description="The Syllabus learning management system's JSON API.",
    urls_namespace="api-v1",
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
    return _error(request, 401, "Authentication is required.", "not_authenticated")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or "You do not have permission to do this.", "forbidden")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.", "not_found")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc), "error")


@api.get("/version", tags=["meta"], summary="The running Syllabus version")
def version(request: HttpRequest) -> dict[str, str]:
    return {"version": syllabus.__version__}
