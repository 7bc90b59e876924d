"""``GET /metrics``: Prometheus text format, summed over every process of the install.

Protected by ``Authorization: Bearer <SYLLABUS_METRICS_TOKEN>``. Without a token set it
answers only in DEBUG (development); in production it is then 404, as if absent, so an
install that forgot the token does not publish its numbers.
"""

from __future__ import annotations

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from syllabus.core.breakers import breaker_states
from syllabus.ops.business import SyllabusCollector


def _authorized(request: HttpRequest) -> bool:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), settings.METRICS_TOKEN.encode()
    )


def registry() -> CollectorRegistry:
    """Every process's samples (multiprocess mode) plus the scrape-time gauges."""
    collected = CollectorRegistry(auto_describe=True)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(collected)
    else:  # pragma: no cover - settings always set the directory
        collected = REGISTRY
    collected.register(SyllabusCollector())
    return collected


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        if not settings.DEBUG:
            raise Http404("Metrics are off: set SYLLABUS_METRICS_TOKEN.")
    elif not _authorized(request):
        response = HttpResponse(
            "A bearer token (SYLLABUS_METRICS_TOKEN) is required.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    breaker_states()  # refresh the breaker gauge from shared (Redis) state
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
