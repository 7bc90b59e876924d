"""Health endpoints: ``/health`` (every service), ``/health/live``, ``/health/ready``.

Open to anyone (load balancers do not sign in), never rate-limited, never cached by
clients or proxies, and they touch no session. The checks are in ``syllabus.ops.health``.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from syllabus.ops.health import health_report, readiness


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """The seed's report: 200 when no service is in error, else 503."""
    report = health_report()
    return JsonResponse(report.as_dict(), status=200 if report.healthy else 503)


@require_safe
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """The process answers requests; no dependency is touched."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Whether to send traffic here: the database answers and migrations are applied."""
    result = readiness()
    return JsonResponse(result.as_dict(), status=200 if result.ready else 503)
