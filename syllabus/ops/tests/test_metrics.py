"""GET /metrics: the token, metric names and labels, and what each metric counts.

Counters are summed over every process writing to PROMETHEUS_MULTIPROC_DIR (test workers
share it), so each test compares a scrape before and after what it does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from syllabus.accounts.models import Role
from syllabus.core import metrics
from syllabus.core.breakers import breaker, breakers_forget
from syllabus.courses.models import Course, CourseMembership
from syllabus.learning.models import CourseProgress
from syllabus.ops import business
from tests.factories import PASSWORD, UserFactory

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN
    business.numbers_forget()
    yield
    business.numbers_forget()


# Gauges computed at scrape time by the answering process (not summed across processes).
SCRAPE_TIME = (
    "syllabus_active_users", "syllabus_sessions_active", "syllabus_users_new_today",
    "syllabus_enrolments", "syllabus_course_completions",
    "syllabus_course_progress_average_ratio", "syllabus_jobs_pending",
    "syllabus_jobs_dead_letters", "syllabus_disk_free_ratio", "syllabus_db_connections",
    "syllabus_tls_certificate_expiry_timestamp_seconds",
)  # fmt: skip


def _parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _own_samples(tmp: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """This process's samples only: parallel test workers share the metrics folder, and
    their requests must not change the counts this test compares."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for path in folder.glob(f"*_{os.getpid()}.db"):
        shutil.copy(path, tmp / path.name)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp))
    return _parse(generate_latest(registry).decode())


def scrape(client: Client | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics (the endpoint answers), with this process's own counters."""
    response = (client or Client()).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    served = _parse(response.content.decode())
    with tempfile.TemporaryDirectory() as tmp:
        own = _own_samples(Path(tmp))
    assert {name for name, _ in own} <= {name for name, _ in served}
    return {
        **own,
        **{key: v for key, v in served.items() if key[0].startswith(SCRAPE_TIME)},
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- The token --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_need_the_bearer_token(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics").headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    basic = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert basic.status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_without_a_token_metrics_are_absent_in_production(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
def test_without_a_token_metrics_are_open_in_debug(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


@pytest.mark.django_db
def test_metrics_refuse_writes(client):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- Route templates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "/"),
        ("/courses/", "/courses/"),
        ("/health/live", "/health/live"),
        ("/ops/audit/", "/ops/audit/"),
        (
            "/accounts/password/reset/key/1a-set-password/",
            "/accounts/password/reset/key/<uidb36>-<key>/",
        ),
    ],
)
def test_route_template_is_the_url_pattern_not_the_path(rf, path, expected):
    request = rf.get(path)
    request.resolver_match = resolve(path)
    assert metrics.route_template(request) == expected


def test_route_template_of_a_path_with_an_id_keeps_the_parameter_name(rf):
    request = rf.get("/x")
    request.resolver_match = resolve("/accounts/password/reset/key/1a-xyz/")
    assert "xyz" not in metrics.route_template(request)


def test_unresolved_paths_are_unmatched_and_static_files_static(rf, settings):
    assert metrics.route_template(rf.get("/no/such/page/")) == "unmatched"
    assert metrics.route_template(rf.get(f"{settings.STATIC_URL}syllabus/css/x.css")) == "static"


# --- Application metrics ----------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_route_method_and_status():
    client = Client()
    before = scrape()
    client.get("/health/live")
    client.get("/health/live")
    client.get("/no/such/page/at/all/")
    client.post("/health/live")
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        delta("syllabus_http_requests_total", route="/health/live", method="GET", status="200") == 2
    )
    assert (
        delta("syllabus_http_requests_total", route="/health/live", method="POST", status="405")
        == 1
    )
    assert delta("syllabus_http_requests_total", route="unmatched", method="GET", status="404") == 1
    count = "syllabus_http_request_duration_seconds_count"
    assert delta(count, route="/health/live", method="GET") == 2
    bucket = "syllabus_http_request_duration_seconds_bucket"
    assert delta(bucket, route="/health/live", method="GET", le="+Inf") == 2
    # the raw path never becomes a label value
    assert not any("no/such" in str(labels) for _, labels in after)


@pytest.mark.django_db
def test_database_queries_per_request_are_observed(client):
    user = UserFactory()
    client.force_login(user)
    before = scrape()
    client.get("/courses/")
    after = scrape()
    observed = value(after, "syllabus_http_request_db_queries_count") - value(
        before, "syllabus_http_request_db_queries_count"
    )
    queries = value(after, "syllabus_http_request_db_queries_sum") - value(
        before, "syllabus_http_request_db_queries_sum"
    )
    # the catalog page and the first scrape's own request
    assert observed >= 1
    assert queries >= 1
    assert value(after, "syllabus_http_request_db_seconds_count") >= 1


def test_query_counting_counts_each_query_and_its_time(db):
    from django.db import connection

    with metrics.count_queries() as tally, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.execute("SELECT 2")
    assert tally.count == 2
    assert tally.seconds >= 0
    assert tally not in connection.execute_wrappers


def test_cache_hits_and_misses_are_counted():
    from django.core.cache import cache

    def total(result, area="other"):
        return metrics.CACHE_REQUESTS.labels(area=area, result=result)._value.get()

    hits, misses = total("hit"), total("miss")
    course_hits = total("hit", "course")
    cache.set("metrics-test", 1)
    cache.set("course:999999", {"title": "x"})
    assert cache.get("metrics-test") == 1
    assert cache.get("metrics-test-absent", "dflt") == "dflt"
    assert cache.get_many(["metrics-test", "metrics-test-absent"]) == {"metrics-test": 1}
    assert cache.get_many(["course:999999"]) == {"course:999999": {"title": "x"}}
    assert total("hit") - hits == 2
    assert total("miss") - misses == 2
    assert total("hit", "course") - course_hits == 1


@pytest.mark.parametrize(
    ("key", "area"),
    [
        ("course:12:outline", "course"),
        ("api:0f3a", "api"),
        ("django.contrib.sessions.cached_db" + "abc", "session"),
        ("someone-elses-key", "other"),
        ("user-chosen:" + "x" * 50, "other"),
    ],
)
def test_cache_areas_are_a_bounded_set(key, area):
    assert metrics.cache_area(key) == area


@pytest.mark.django_db
def test_jobs_are_counted_with_their_outcome_and_run_time():
    from syllabus.ops.tests import jobs_for_tests

    before = scrape()
    jobs_for_tests.records(1)
    after = scrape()
    labels = {"task": "records", "outcome": "complete"}
    assert (
        value(after, "syllabus_jobs_total", **labels)
        - value(before, "syllabus_jobs_total", **labels)
        == 1
    )
    assert value(after, "syllabus_job_duration_seconds_count", task="records") >= 1
    assert ("syllabus_jobs_pending", ()) in after


@pytest.mark.django_db
def test_breaker_state_is_a_gauge():
    breakers_forget()
    gate = breaker("metrics-test-gateway")
    gate.open()
    try:
        samples = scrape()
        assert value(samples, "syllabus_circuit_breaker_state", breaker="metrics-test-gateway") == 2
    finally:
        gate.close()
    samples = scrape()
    assert value(samples, "syllabus_circuit_breaker_state", breaker="metrics-test-gateway") == 0
    breakers_forget()


# --- Security metrics ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_ins_permission_denials_and_rate_limits_are_counted(settings):
    settings.RATE_LIMIT_AUTH = "2/minute"
    user = UserFactory()
    before = scrape()
    browser = Client()
    browser.post("/accounts/login/", {"login": user.email, "password": "Wrong-1-password"})
    browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    refused = browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    denied = browser.get("/ops/")
    assert denied.status_code == 403
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("syllabus_signin_total", result="failure") == 1
    assert delta("syllabus_signin_total", result="success") == 1
    assert delta("syllabus_rate_limit_refusals_total", kind="web") == 1
    assert delta("syllabus_permission_denials_total", kind="web") == 1


@pytest.mark.django_db
def test_lockouts_and_mfa_challenges_are_counted(settings):
    from syllabus.accounts.tests.mfa_helpers import enrol_totp, totp_code

    settings.RATE_LIMIT_ENABLED = False
    settings.AXES_FAILURE_LIMIT = 2
    locked = UserFactory()
    mfa_user = UserFactory()
    secret = enrol_totp(mfa_user)
    before = scrape()
    other = Client()
    other.post("/accounts/login/", {"login": mfa_user.email, "password": PASSWORD})
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    other.post("/accounts/2fa/authenticate/", {"code": wrong})
    other.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    # then three wrong passwords lock the account (and this address)
    browser = Client()
    for _ in range(3):
        browser.post("/accounts/login/", {"login": locked.email, "password": "Wrong-1-password"})
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("syllabus_lockouts_total") >= 1
    assert delta("syllabus_mfa_challenges_total", result="failure") == 1
    assert delta("syllabus_mfa_challenges_total", result="success") == 1


# --- Business metrics --------------------------------------------------------------------


@pytest.mark.django_db
def test_business_gauges_are_computed_and_kept_for_a_minute(client):
    from django.utils import timezone

    from syllabus.accounts.models import UserSession

    learner_role = Role.objects.get(slug="learner")
    course = Course.objects.create(title="Metrics", slug="metrics", status=Course.Status.PUBLISHED)
    people = [UserFactory() for _ in range(3)]
    for person in people:
        CourseMembership.objects.create(course=course, user=person, role=learner_role)
    CourseProgress.objects.create(
        user=people[0], course=course, percent=100, completed_at=timezone.now()
    )
    CourseProgress.objects.create(user=people[1], course=course, percent=50)
    UserSession.objects.create(user=people[0], session_key="m" * 40, last_seen_at=timezone.now())

    samples = scrape()
    assert value(samples, "syllabus_enrolments") == 3
    assert value(samples, "syllabus_course_completions") == 1
    assert value(samples, "syllabus_course_progress_average_ratio") == pytest.approx(0.75)
    assert value(samples, "syllabus_active_users", window="5m") == 1
    assert value(samples, "syllabus_active_users", window="1d") == 1
    assert value(samples, "syllabus_sessions_active") == 1
    assert value(samples, "syllabus_users_new_today") == 3
    assert 0 < value(samples, "syllabus_disk_free_ratio") <= 1

    # kept: a new enrolment shows only after SYLLABUS_METRICS_BUSINESS_SECONDS
    CourseMembership.objects.create(course=course, user=UserFactory(), role=learner_role)
    assert value(scrape(), "syllabus_enrolments") == 3
    business.numbers_forget()
    assert value(scrape(), "syllabus_enrolments") == 4


@pytest.mark.django_db
def test_business_numbers_take_a_bounded_number_of_queries(django_assert_max_num_queries):
    business.numbers_forget()
    with django_assert_max_num_queries(5):
        business.compute()


@pytest.mark.django_db
def test_every_documented_metric_name_is_exported():
    from syllabus.ops.tests.test_alerts_rules import KNOWN_METRICS

    Client().get("/health/live")
    names = {name for name, _ in scrape()}
    bases = {n.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum") for n in names}
    missing = KNOWN_METRICS - bases - {"syllabus_jobs_total", "syllabus_circuit_breaker_state"}
    assert missing <= {"syllabus_rate_limit_refusals_total", "syllabus_permission_denials_total",
                       "syllabus_signin_total", "syllabus_cache_requests_total"}  # fmt: skip


@pytest.mark.django_db
def test_certificate_expiry_is_exported_when_a_certificate_is_configured(settings, tmp_path):
    from syllabus.ops.tests.certs import write_certificate

    settings.TLS_CERT_FILE = str(write_certificate(tmp_path, days=10))
    samples = scrape()
    import time

    expiry = value(samples, "syllabus_tls_certificate_expiry_timestamp_seconds")
    assert 9 * 86400 < expiry - time.time() < 11 * 86400
