from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from huey import MemoryHuey, RedisHuey
from hypothesis import given
from hypothesis import strategies as st

from syllabus.core import jobs
from syllabus.core.breakers import breaker, breakers_forget
from syllabus.ops import health

pytestmark = pytest.mark.django_db

SERVICES = {"database", "cache", "storage", "external", "queue", "backup"}
SECRET = "s3cr3t-Pa55word"
LEAKY_ERROR = (
    'connection to server at "db.internal.example" (10.1.2.3), port 5432 failed: FATAL: '
    f'password authentication failed for user "syllabus" '
    f"(postgres://syllabus:{SECRET}@db.internal.example:5432/syllabus password={SECRET})"
)


@pytest.fixture(autouse=True)
def _fresh_health():
    health.health_cache_clear()
    yield
    health.health_cache_clear()
    breakers_forget()


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_leaky_error(*args, **kwargs):
    raise OperationalError(LEAKY_ERROR)


def test_health_reports_every_service_with_status_and_latency(client):
    # when
    response = client.get("/health")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert set(body) == {"status", "timestamp", "services"}
    assert body["status"] == "ok"
    stamp = datetime.fromisoformat(body["timestamp"])
    assert body["timestamp"].endswith("Z") and stamp.utcoffset() == timedelta(0)
    assert set(body["services"]) == SERVICES
    for name, service in body["services"].items():
        assert service["status"] in {"ok", "unknown"}, name
        assert isinstance(service["latency"], float) and service["latency"] >= 0, name
        assert round(service["latency"], 1) == service["latency"], name
        assert isinstance(service.get("message", ""), str), name
    assert isinstance(body["services"]["external"]["breakers"], dict)
    # The test settings run jobs inline: said in words, not checked.
    assert "inline" in body["services"]["queue"]["message"]


def test_backup_is_unknown_and_does_not_make_the_report_unhealthy(client):
    # when
    response = client.get("/health")

    # then: honest about having no backups, yet not a reason for a load balancer to stop
    backup = response.json()["services"]["backup"]
    assert backup["status"] == "unknown"
    assert "no backup has been taken yet" in backup["message"]
    assert response.status_code == 200


def test_storage_check_leaves_no_file_behind(client):
    # when
    client.get("/health")

    # then
    assert not default_storage.exists("health") or default_storage.listdir("health")[1] == []


def test_a_database_that_fails_makes_the_report_503_without_leaking_secrets(
    client, monkeypatch, settings
):
    # given: every new cursor fails with an error that names a host, a user and a password
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _raise_leaky_error)

    # when
    response = client.get("/health")

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    database = body["services"]["database"]
    assert database["status"] == "error"
    assert database["message"] == "OperationalError: the database did not answer"
    text = response.content.decode()
    for secret in (SECRET, "db.internal.example", "10.1.2.3", settings.SECRET_KEY):
        assert secret not in text


def test_a_cache_whose_round_trip_fails_makes_the_report_503(client, settings):
    # given: our Redis cache on a port nothing listens on (it answers misses, not errors)
    settings.CACHES = {
        "default": {
            "BACKEND": "syllabus.core.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    # when
    response = client.get("/health")

    # then
    assert response.status_code == 503
    cache = response.json()["services"]["cache"]
    assert cache["status"] == "error"
    assert "round trip failed" in cache["message"]


def test_an_open_circuit_breaker_makes_external_an_error_and_the_report_503(client):
    # given
    sms, email = breaker("health-test-sms"), breaker("health-test-email")
    sms.open()

    # when
    try:
        response = client.get("/health")
    finally:
        sms.close()

    # then
    assert response.status_code == 503
    external = response.json()["services"]["external"]
    assert external["status"] == "error"
    assert external["message"] == "open circuit breakers: health-test-sms"
    # The storage check runs through its own breaker, which may be listed too.
    listed = {k: v for k, v in external["breakers"].items() if k != "storage"}
    assert listed == {"health-test-email": "closed", "health-test-sms": "open"}
    assert email.current_state == "closed"


def test_a_check_that_hangs_is_reported_as_timed_out_within_the_time_limit(
    client, monkeypatch, settings
):
    # given: a storage that does not answer until released
    settings.HEALTH_TIMEOUT_SECONDS = 0.2
    release = threading.Event()

    def hanging_storage() -> health.Outcome:
        release.wait(timeout=10)
        return health.Outcome()

    monkeypatch.setitem(health.CHECKS, "storage", hanging_storage)

    # when
    started = time.perf_counter()
    try:
        response = client.get("/health")
    finally:
        release.set()
    elapsed = time.perf_counter() - started

    # then
    assert elapsed < 2.0
    assert response.status_code == 503
    storage = response.json()["services"]["storage"]
    assert storage["status"] == "error"
    assert storage["message"].startswith("timed out")
    assert storage["latency"] >= 200
    assert response.json()["services"]["database"]["status"] == "ok"


def test_results_are_reused_within_the_cache_window_and_refreshed_after(
    client, monkeypatch, settings
):
    # given: a check that counts its runs
    settings.HEALTH_CACHE_SECONDS = 5
    runs = []

    def counted_backup() -> health.Outcome:
        runs.append(1)
        return health.check_backup()

    monkeypatch.setitem(health.CHECKS, "backup", counted_backup)

    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        # when: two probes within the window
        first = client.get("/health").json()
        clock.shift(4)
        second = client.get("/health").json()

        # then: the checks ran once, and the report says when
        assert len(runs) == 1
        assert second["timestamp"] == first["timestamp"] == "2026-03-01T09:00:00.000Z"

        # when: the window has passed
        clock.shift(2)
        third = client.get("/health").json()

    # then
    assert len(runs) == 2
    assert third["timestamp"] == "2026-03-01T09:00:06.000Z"


def test_queue_reports_its_depth(client, monkeypatch):
    # given: a real (in-memory) queue holding two jobs
    queue = MemoryHuey("health-test", utc=True)

    @queue.task()
    def noop() -> None:
        return None

    noop()
    noop()
    monkeypatch.setattr(jobs, "huey", lambda: queue)

    # when
    response = client.get("/health")

    # then
    assert response.status_code == 200
    assert response.json()["services"]["queue"] == {
        "status": "ok",
        "latency": response.json()["services"]["queue"]["latency"],
        "pending": 2,
    }


def test_a_queue_that_does_not_answer_makes_the_report_503(client, monkeypatch):
    # given
    queue = RedisHuey(
        "health-test",
        host="127.0.0.1",
        port=_closed_port(),
        socket_connect_timeout=0.5,
        socket_timeout=0.5,
    )
    monkeypatch.setattr(jobs, "huey", lambda: queue)

    # when
    response = client.get("/health")

    # then
    assert response.status_code == 503
    assert response.json()["services"]["queue"] == {
        "status": "error",
        "latency": response.json()["services"]["queue"]["latency"],
        "message": "ConnectionError: the job queue did not answer",
    }


def test_live_answers_without_touching_any_dependency(
    client, monkeypatch, django_assert_num_queries
):
    # given: no database at all
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _raise_leaky_error)
    monkeypatch.setattr(health, "health_report", _raise_leaky_error)

    # when
    with django_assert_num_queries(0):
        response = client.get("/health/live")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_ready_answers_200_when_the_database_answers_and_migrations_are_applied(client):
    # when
    response = client.get("/health/ready")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_ready_answers_503_naming_unapplied_migrations(client, monkeypatch):
    # given: one migration waiting
    class Waiting:
        app_label, name = "courses", "0042_new_things"

    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [(Waiting, False)]
    )

    # when
    response = client.get("/health/ready")

    # then
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "message": "1 unapplied migrations: courses.0042_new_things",
    }


def test_ready_answers_503_when_the_database_fails_without_leaking_secrets(client, monkeypatch):
    # given
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", _raise_leaky_error)

    # when
    response = client.get("/health/ready")

    # then
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "message": "OperationalError: the database did not answer",
    }


def test_ready_remembers_applied_migrations_for_the_process(client, monkeypatch, settings):
    # given: migrations were found applied once
    settings.HEALTH_CACHE_SECONDS = 0
    assert client.get("/health/ready").status_code == 200
    plans: list[object] = []

    def counted_plan(self: MigrationExecutor, targets: object) -> list[object]:
        plans.append(targets)
        return []

    monkeypatch.setattr(MigrationExecutor, "migration_plan", counted_plan)

    # when
    response = client.get("/health/ready")

    # then: the database is asked again, the migrations are not
    assert response.status_code == 200
    assert plans == []


def test_health_endpoints_need_no_sign_in_create_no_session_and_are_not_rate_limited(
    client, settings
):
    # given: the tightest rate limits
    settings.RATE_LIMIT_API = "1/minute"
    settings.RATE_LIMIT_AUTH = "1/minute"

    for url in ("/health", "/health/live", "/health/ready"):
        # when
        responses = [client.get(url) for _ in range(3)]

        # then
        assert [r.status_code for r in responses] == [200, 200, 200], url
        assert all("Set-Cookie" not in r.headers for r in responses), url
    assert Session.objects.count() == 0
    assert not client.cookies


def test_only_get_and_head_are_answered(client):
    # when
    post = client.post("/health")
    head = client.head("/health/live")

    # then
    assert post.status_code == 405
    assert head.status_code == 200


@given(
    user=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
    password=st.text(
        alphabet=st.characters(blacklist_characters="@ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"),
        min_size=6,
        max_size=30,
    ).filter(lambda p: p.strip() == p and "@" not in p and p.isprintable()),
)
def test_logged_exception_text_has_its_credentials_masked(user, password):
    # given
    text = f"could not connect to redis://{user}:{password}@cache.example:6379/0"

    # when
    masked = health._mask(text)

    # then
    assert masked == f"could not connect to redis://{user}:***@cache.example:6379/0"


def test_logged_exception_text_masks_password_assignments():
    # when
    masked = health._mask(f"dbname=x user=syllabus password={SECRET} host=db")

    # then
    assert SECRET not in masked
    assert "password=***" in masked
