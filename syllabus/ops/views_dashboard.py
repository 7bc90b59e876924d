"""``/ops/``: the operations dashboard (seed 4.2), for holders of ``ops.view``.

Everything comes from the app's own numbers (per-minute aggregates, health samples,
business numbers), so it works without Prometheus. A bounded number of queries: the
24-hour chart is one query over at most 1 440 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from syllabus.accounts.permissions import require_site_perm
from syllabus.core.breakers import breaker_states
from syllabus.ops import aggregates, business
from syllabus.ops.alerts import ALERTS
from syllabus.ops.health import CHECKS, health_report
from syllabus.ops.models import AlertState

# Chart geometry (SVG user units).
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 32


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    mean_points: str
    p95_points: str
    # One dot per hour with traffic: a lone hour (a new install) has no line to draw.
    mean_dots: list[tuple[float, float]]
    p95_dots: list[tuple[float, float]]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str, str]]
    has_data: bool
    plot_left: int
    plot_right: int
    plot_bottom: int


def _nice_max(value: float) -> float:
    for step in (100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if value <= step:
            return float(step)
    return float(int(value / 10000 + 1) * 10000)


def build_chart(points: list[aggregates.SeriesPoint]) -> Chart:
    """Polylines for the mean and p95 per hour; hours without traffic break no line
    (they are left out), and the table lists them as "no requests"."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    values = [v for p in points for v in (p.mean_ms, p.p95_ms) if v is not None]
    top = _nice_max(max(values)) if values else 100.0
    count = max(len(points) - 1, 1)

    def x(index: int) -> float:
        return round(LEFT + plot_w * index / count, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - value / top), 1)

    def dots(attr: str) -> list[tuple[float, float]]:
        return [
            (x(i), y(getattr(p, attr)))
            for i, p in enumerate(points)
            if getattr(p, attr) is not None
        ]

    def line(attr: str) -> str:
        return " ".join(f"{px},{py}" for px, py in dots(attr))

    y_ticks = [(y(top * f), f"{top * f:.0f} ms") for f in (0, 0.25, 0.5, 0.75, 1)]
    last = len(points) - 1
    x_ticks = [
        (x(i), timezone.localtime(p.start).strftime("%H:%M"), "end" if i == last else "middle")
        for i, p in enumerate(points)
        if i % 6 == 0 or i == last
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        mean_points=line("mean_ms"),
        p95_points=line("p95_ms"),
        mean_dots=dots("mean_ms"),
        p95_dots=dots("p95_ms"),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        has_data=bool(values),
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_bottom=HEIGHT - BOTTOM,
    )


def _percent(ratio: float | None, digits: int = 2) -> str:
    return "no data" if ratio is None else f"{ratio * 100:.{digits}f}%"


@require_site_perm("ops.view")
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    numbers = business.numbers()
    report = health_report()
    day = aggregates.request_stats(since=now - timedelta(hours=24))
    hour = aggregates.request_stats(since=now - timedelta(hours=1))
    series = aggregates.response_series(now=now, hours=24)
    up = aggregates.uptime(now=now, days=30, services=tuple(CHECKS))
    states = {s.name: s for s in AlertState.objects.all()}
    breakers = breaker_states()
    context: dict[str, Any] = {
        "numbers": numbers,
        "report": report,
        "services": [
            {
                "name": name,
                "status": health.status,
                "latency": health.latency,
                "message": health.message,
                "uptime": _percent(up.per_service.get(name)),
            }
            for name, health in report.services.items()
        ],
        "uptime": _percent(up.ratio),
        "uptime_samples": up.samples,
        "day": day,
        "hour": hour,
        "rates": {
            "5xx": _percent(day.rate_5xx if day.requests else None),
            "4xx": _percent(day.rate_4xx if day.requests else None),
            "total": _percent(day.error_rate if day.requests else None),
        },
        "series": series,
        "chart": build_chart(series),
        "breakers": sorted(breakers.items()),
        "open_breakers": sorted(name for name, state in breakers.items() if state == "open"),
        "alerts": [{"alert": alert, "state": states.get(alert.name)} for alert in ALERTS],
    }
    return render(request, "ops/dashboard.html", context)
