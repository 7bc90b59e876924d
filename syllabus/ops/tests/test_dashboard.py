"""/ops/: the operations dashboard renders for ops.view holders, refuses others, and its
query count does not grow with the stored minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from syllabus.ops import business
from syllabus.ops.aggregates import SeriesPoint
from syllabus.ops.alerts import ALERTS
from syllabus.ops.models import AlertState, HealthSample, RequestMinute
from syllabus.ops.views_dashboard import build_chart
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_numbers():
    business.numbers_forget()


def _minutes(count: int, *, slow: bool = False) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    RequestMinute.objects.bulk_create(
        RequestMinute(
            minute=now - timedelta(minutes=i + 1),
            requests=100,
            errors_4xx=2,
            errors_5xx=1,
            duration_ms_sum=100 * (3000 if slow else 120),
            le_100=40,
            le_250=55,
            le_500=5,
        )
        for i in range(count)
    )


def test_admin_sees_every_section_with_the_chart_and_its_table(client, admin_user):
    _minutes(90)
    HealthSample.objects.create(
        minute=timezone.now().replace(second=0, microsecond=0),
        healthy=True,
        services={"database": "ok", "cache": "ok", "backup": "unknown"},
    )
    AlertState.objects.create(
        name="HighLatency", firing=True, since=timezone.now(), value="p95 3 s"
    )
    client.force_login(admin_user)
    response = client.get("/ops/")
    assert response.status_code == 200
    page = response.content.decode()
    headings = (
        "User activity", "System health", "Course metrics", "Error rate (24 hours)",
        "Response time (last 24 hours)", "Health checks", "External systems", "Alerts",
    )  # fmt: skip
    for heading in headings:
        assert f">{heading}</h2>" in page, heading
    assert "<svg" in page and "<polyline" in page
    assert 'role="img"' in page and '<title id="ops-chart-title">' in page
    assert "<caption>Requests and response time per hour" in page
    assert page.count('<th scope="row">') >= 24  # one row per hour, plus checks and alerts
    # 3% errors: 1% 5xx, 2% 4xx, over the last 24 hours
    assert "1.00%" in page and "2.00%" in page and "3.00%" in page
    assert "100.00%" in page  # uptime from the one healthy sample
    assert "Firing" in page
    assert len(ALERTS) == 6


def test_security_officer_sees_the_dashboard(client):
    officer = UserFactory(site_roles=["security_officer"])
    client.force_login(officer)
    assert client.get("/ops/").status_code == 200


@pytest.mark.parametrize("role", [None, "manager", "auditor", "compliance_officer"])
def test_others_are_refused(client, role):
    user = UserFactory(site_roles=[role] if role else [])
    client.force_login(user)
    assert client.get("/ops/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/ops/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_without_data_the_page_says_what_to_do(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/ops/").content.decode()
    assert "No requests were counted in the last 24 hours yet" in page
    assert "start <code>syllabus worker</code>" in page
    assert "<polyline" not in page


def test_query_count_does_not_grow_with_stored_minutes(client, admin_user):
    client.force_login(admin_user)
    _minutes(5)
    client.get("/ops/")  # warm: sessions, permissions, health report kept in memory
    business.numbers_forget()
    with CaptureQueriesContext(connection) as few:
        assert client.get("/ops/").status_code == 200
    RequestMinute.objects.all().delete()
    _minutes(1400)
    business.numbers_forget()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/ops/").status_code == 200
    assert len(many) == len(few)


def test_chart_scales_to_the_slowest_hour_and_skips_empty_hours():
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    points = [
        SeriesPoint(start, 10, 120.0, 300.0),
        SeriesPoint(start + timedelta(hours=1), 0, None, None),
        SeriesPoint(start + timedelta(hours=2), 10, 180.0, 900.0),
    ]
    chart = build_chart(points)
    assert chart.has_data
    assert len(chart.mean_points.split()) == 2
    assert chart.y_ticks[-1][1] == "1000 ms"
    assert not build_chart([SeriesPoint(start, 0, None, None)]).has_data


def test_a_single_hour_of_traffic_is_drawn_as_dots():
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    chart = build_chart(
        [SeriesPoint(start - timedelta(hours=1), 0, None, None), SeriesPoint(start, 5, 50.0, 90.0)]
    )
    assert chart.has_data
    assert len(chart.mean_dots) == len(chart.p95_dots) == 1  # a one-point line draws nothing
    assert chart.mean_points == "{},{}".format(*chart.mean_dots[0])
