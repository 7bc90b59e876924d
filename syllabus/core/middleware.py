from __future__ import annotations

import ipaddress
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from pybreaker import CircuitBreakerError

from syllabus.core import metrics, request_context
from syllabus.core.logging import bind_request, redact_path, unbind_request
from syllabus.core.views import bad_request

access_log = structlog.get_logger("syllabus.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Probes and scrapes: counted in Prometheus, kept out of the dashboard's aggregates.
NOT_AGGREGATED = ("/health", "/metrics", "static")
UNAVAILABLE_RETRY_SECONDS = 5
_DATABASE_DOWN = (OperationalError, InterfaceError)


def _note_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Remember that the request failed because the database could not be reached.

    Django turns an exception anywhere below RequestIdMiddleware into its 500 page before
    the middleware sees the response; this receiver runs inside that handling, where the
    exception is still the one being handled.
    """
    exc = sys.exc_info()[1]
    if request is None:
        return
    if isinstance(exc, _DATABASE_DOWN):
        request._syllabus_unavailable = "database"  # type: ignore[attr-defined]
    elif isinstance(exc, CircuitBreakerError):  # e.g. file storage failing: breaker open
        request._syllabus_unavailable = "dependency"  # type: ignore[attr-defined]


got_request_exception.connect(_note_exception, dispatch_uid="syllabus.core.database_down")


_UNAVAILABLE_WHAT = {
    "database": "its database",
    "dependency": "a service it depends on (such as file storage)",
}


def service_unavailable(request: HttpRequest, what: str = "database") -> HttpResponse:
    """503 with a clear page (or the API's JSON error), never a stack trace."""
    response: HttpResponse
    cannot_reach = _UNAVAILABLE_WHAT.get(what, _UNAVAILABLE_WHAT["database"])
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": f"The service is temporarily unavailable: {cannot_reach} cannot be "
                "reached. Try again in a moment.",
                "code": "service_unavailable",
            },
            status=503,
        )
    else:
        # Rendered without context processors: they could need the database again.
        body = loader.get_template("error.html").render(
            {
                "status": 503,
                "title": "Temporarily unavailable",
                "message": f"Syllabus cannot reach {cannot_reach} right now. Nothing you "
                "entered before this page was lost; wait a moment and try again.",
                "request_id": getattr(request, "request_id", ""),
                "site_name": settings.SITE_NAME,
            }
        )
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the entry that the trusted proxies added.

    With SYLLABUS_TRUSTED_PROXY_COUNT=N, the N-th address from the right of
    X-Forwarded-For is the one our outermost proxy saw; entries left of it are
    client-supplied and can be forged, so they are never used.
    """
    candidate = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class RequestIdMiddleware:
    """Gives every request an id, binds it for logs and audit, writes the access log and
    counts the request in the metrics.

    It sits first in MIDDLEWARE so that everything after it, including error pages,
    sees the id; the access log line is written when the response comes back. A request
    that failed because the database is unreachable gets a 503 page instead of the 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_context.accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_context.bind(
            request_context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:512],
            )
        )
        bound = bind_request(request)
        try:
            with metrics.count_queries() as queries:
                response = self.get_response(request)
            unavailable = getattr(request, "_syllabus_unavailable", None)
            if response.status_code == 500 and unavailable:
                response = service_unavailable(request, unavailable)
            response[REQUEST_ID_HEADER] = request_id
            self._observe(request, response, started, queries)
            return response
        finally:
            unbind_request(bound)
            request_context.clear()

    @staticmethod
    def _observe(
        request: HttpRequest,
        response: HttpResponse,
        started: float,
        queries: metrics.QueryTally,
    ) -> None:
        seconds = time.perf_counter() - started
        route = metrics.route_template(request)
        status = response.status_code
        method = request.method or "GET"
        if method not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}:
            method = "other"  # bounded label values whatever clients send
        metrics.HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
        metrics.HTTP_DURATION.labels(route=route, method=method).observe(seconds)
        metrics.DB_QUERIES.observe(queries.count)
        metrics.DB_TIME.observe(queries.seconds)
        kind = "api" if request.path_info.startswith("/api/") else "web"
        if status == 403:
            metrics.PERMISSION_DENIED.labels(kind=kind).inc()
        elif status == 429:
            metrics.RATE_LIMITED.labels(kind=kind).inc()
        user = getattr(request, "user", None)
        if not route.startswith(NOT_AGGREGATED):
            metrics.minutes.add_request(status=status, duration_ms=seconds * 1000)
        access_log.info(
            "request",
            method=request.method,
            path=redact_path(request),
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            db_queries=queries.count,
            db_ms=round(queries.seconds * 1000, 2),
            user_id=getattr(user, "public_id", None) if user and user.is_authenticated else None,
        )


# --- NUL characters --------------------------------------------------------------------------

NUL = "\x00"
_JSON_NUL = b"\\u0000"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _json_has_nul(body: bytes) -> bool:
    if b"\x00" in body:
        return True
    if _JSON_NUL not in body.lower():
        return False  # the common case: no escape that could decode to NUL
    try:
        return _has_nul(json.loads(body))
    except ValueError:
        return False  # malformed JSON: the API answers it with its own 400


class RejectNulMiddleware:
    """Answers 400 to a request carrying a NUL character in its path, query string, form
    fields or JSON body.

    No text Syllabus stores may contain NUL, and PostgreSQL refuses it outright: without
    this, such a request reached the database and failed with a 500. Checking at the door
    keeps every view and API endpoint from repeating the check. Multipart bodies (uploads)
    are not read here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if NUL in request.path_info or any(
            _has_nul(k) or any(_has_nul(v) for v in request.GET.getlist(k)) for k in request.GET
        ):
            return True
        if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
            return False
        content_type = request.content_type or ""
        json_body = content_type == "application/json" or content_type.endswith("+json")
        if not json_body and content_type != "application/x-www-form-urlencoded":
            # Multipart bodies are not read here (uploads can be large); their text fields
            # go through Django forms, whose CharField refuses NUL with a form error.
            return False
        try:
            # Reading ``body`` first keeps it available to the view (``POST`` is then
            # parsed from it); bodies are bounded by DATA_UPLOAD_MAX_MEMORY_SIZE.
            body = request.body
        except RequestDataTooBig:
            return False  # the view answers it (413 on the API, 400 on pages)
        if json_body:
            return _json_has_nul(body)
        return any(
            _has_nul(k) or any(_has_nul(v) for v in request.POST.getlist(k)) for k in request.POST
        )

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        detail = "The request contains a NUL character (\\u0000), which no field may hold."
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": detail, "code": "invalid_characters"}, status=400)
        return bad_request(request)
