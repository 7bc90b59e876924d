from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from syllabus.core import request_context

access_log = structlog.get_logger("syllabus.access")

REQUEST_ID_HEADER = "X-Request-ID"


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
    """Gives every request an id, binds it for logs and audit, and writes the access log.

    It sits first in MIDDLEWARE so that everything after it, including error pages,
    sees the id; the access log line is written when the response comes back.
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
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._log(request, response, started)
            return response
        finally:
            request_context.clear()

    @staticmethod
    def _log(request: HttpRequest, response: HttpResponse, started: float) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        access_log.info(
            "request",
            method=request.method,
            path=request.path,
            route=match.route if match else None,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            user_id=getattr(user, "public_id", None) if user and user.is_authenticated else None,
        )
