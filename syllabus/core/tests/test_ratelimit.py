"""Rate limits: per token, user or IP on the API; per IP on credential forms; shared through
Redis across processes; 429 with Retry-After and RateLimit-* headers."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import time_machine
from django.test import override_settings

from syllabus.accounts.models import ApiToken, User
from syllabus.accounts.tokens import token_create
from syllabus.audit.models import AuditEvent
from syllabus.core.ratelimit import Limiter
from tests.factories import UserFactory
from tests.ports import free_port
from tests.processes import syllabus_check

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def bearer(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def test_the_101st_api_request_in_a_minute_is_refused_and_the_window_moves(client):
    with time_machine.travel(T0, tick=False) as clock:
        # given: 50 requests now and 50 half a minute later, all answered with headers
        for i in range(50):
            response = client.get("/api/v1/version")
            assert response.status_code == 200
            assert response["RateLimit-Limit"] == "100"
            assert response["RateLimit-Remaining"] == str(99 - i)
        clock.shift(30)
        for _ in range(50):
            assert client.get("/api/v1/version").status_code == 200
        # when: the 101st within the minute
        refused = client.get("/api/v1/version")
        # then
        assert refused.status_code == 429
        assert refused.json() == {
            "detail": "Too many requests. Try again in 30 seconds.",
            "code": "rate_limited",
        }
        assert refused["Retry-After"] == "30"
        assert refused["RateLimit-Limit"] == "100"
        assert refused["RateLimit-Remaining"] == "0"
        assert refused["RateLimit-Reset"] == "30"
        assert refused["RateLimit-Policy"] == "100;w=60"
        # the window moves: once the first 50 are a minute old, 50 more fit, not 51
        clock.shift(30.5)
        for _ in range(50):
            assert client.get("/api/v1/version").status_code == 200
        assert client.get("/api/v1/version").status_code == 429


@override_settings(RATE_LIMIT_API="3/minute")
def test_token_user_and_ip_buckets_are_separate(client):
    user = cast(User, UserFactory())
    first = token_create(actor=user, user=user, name="a", scopes=[]).plain
    second = token_create(actor=user, user=user, name="b", scopes=[]).plain
    with time_machine.travel(T0, tick=False):
        # the anonymous address uses up its bucket
        for _ in range(3):
            assert client.get("/api/v1/version").status_code == 200
        assert client.get("/api/v1/version").status_code == 429
        # another address has its own
        assert client.get("/api/v1/version", REMOTE_ADDR="198.51.100.9").status_code == 200
        # a token from the same address has its own, and each token its own
        for _ in range(3):
            assert client.get("/api/v1/auth/me", **bearer(first)).status_code == 200
        assert client.get("/api/v1/auth/me", **bearer(first)).status_code == 429
        assert client.get("/api/v1/auth/me", **bearer(second)).status_code == 200
        # a signed-in session is counted per user, apart from the address
        client.force_login(user)
        assert client.get("/api/v1/auth/me").status_code == 200
        assert client.get("/api/v1/auth/me")["RateLimit-Remaining"] == "1"


@override_settings(RATE_LIMIT_API="3/minute")
def test_limits_follow_the_user_not_the_address(client):
    user = cast(User, UserFactory())
    client.force_login(user)
    with time_machine.travel(T0, tick=False):
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            assert client.get("/api/v1/auth/me", REMOTE_ADDR=address).status_code == 200
        assert client.get("/api/v1/auth/me", REMOTE_ADDR="192.0.2.4").status_code == 429


def test_sign_in_posts_are_limited_per_address_with_a_friendly_page(client):
    with time_machine.travel(T0, tick=False):
        for i in range(10):
            response = client.post(
                "/accounts/login/", {"login": f"p{i}@example.org", "password": "wrong"}
            )
            assert response.status_code != 429
        # reading the form is not counted
        assert client.get("/accounts/login/").status_code == 200
        refused = client.post("/accounts/login/", {"login": "x@example.org", "password": "x"})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        html = refused.content.decode()
        assert "<h1>Too many attempts</h1>" in html
        assert "60 seconds" in html
        assert '<main id="main"' in html  # the site's shell
        # another address is not affected
        other = client.post(
            "/accounts/login/",
            {"login": "x@example.org", "password": "x"},
            REMOTE_ADDR="203.0.113.5",
        )
        assert other.status_code != 429


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/reset/",
        "/accounts/2fa/authenticate/",
        "/account/mfa/code/send/",
        "/api/v1/auth/token",
    ],
)
def test_other_credential_endpoints_share_the_stricter_limit(client, path):
    with time_machine.travel(T0, tick=False):
        for _ in range(10):
            assert client.post(path, {}).status_code != 429
        refused = client.post(path, {})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"


def test_the_token_endpoint_answers_429_as_json_with_the_stricter_numbers(client):
    with time_machine.travel(T0, tick=False):
        for i in range(10):
            response = client.post(
                "/api/v1/auth/token",
                data=json.dumps({"email": "nobody@example.org", "password": "x"}),
                content_type="application/json",
            )
            assert response.status_code == 401
            assert response["RateLimit-Limit"] == "10"
            assert response["RateLimit-Remaining"] == str(9 - i)
        refused = client.post("/api/v1/auth/token", data="{}", content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"


def test_an_address_sending_many_refused_tokens_is_stopped(client):
    user = cast(User, UserFactory())
    good = token_create(actor=user, user=user, name="a", scopes=[]).plain
    with time_machine.travel(T0, tick=False):
        for i in range(10):
            forged = f"syl_{i:08d}_" + secrets.token_urlsafe(32)
            assert client.get("/api/v1/auth/me", **bearer(forged)).status_code == 401
        before = (ApiToken.objects.count(), AuditEvent.objects.count())
        refused = client.get("/api/v1/auth/me", **bearer("syl_another_guess"))
        assert refused.status_code == 429
        assert refused.json()["code"] == "rate_limited"
        assert (ApiToken.objects.count(), AuditEvent.objects.count()) == before
        # the same address's anonymous requests are unaffected
        assert client.get("/api/v1/version").status_code == 200
        # another address with a good token is unaffected
        assert (
            client.get("/api/v1/auth/me", REMOTE_ADDR="198.51.100.7", **bearer(good)).status_code
            == 200
        )


@override_settings(RATE_LIMIT_ENABLED=False)
def test_limits_can_be_switched_off(client):
    with time_machine.travel(T0, tick=False):
        for _ in range(105):
            response = client.get("/api/v1/version")
        assert response.status_code == 200
        assert "RateLimit-Limit" not in response


def test_pages_outside_the_api_carry_no_limit_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_redis_falls_back_to_memory_limits(client):
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    with override_settings(RATE_LIMIT_STORAGE_URL=url, RATE_LIMIT_API="3/minute"):
        for _ in range(3):
            response = client.get("/api/v1/version")
            assert response.status_code == 200
            assert response["RateLimit-Limit"] == "3"
        assert client.get("/api/v1/version").status_code == 429


def test_the_limiter_counts_in_memory_without_redis():
    limiter = Limiter("memory://")
    assert not limiter.shared
    with time_machine.travel(T0, tick=False):
        assert [limiter.hit("2/minute", "k").allowed for _ in range(3)] == [True, True, False]
        assert limiter.peek("2/minute", "k").remaining == 0
        assert limiter.peek("2/minute", "other").remaining == 2


@pytest.mark.parametrize("value", ["100", "100/fortnight", "0/minute", "many/minute", "-5/hour"])
def test_a_bad_rate_setting_stops_startup(tmp_path, value):
    result = syllabus_check(tmp_path, SYLLABUS_RATE_LIMIT_API=value)
    assert result.returncode == 1
    assert "SYLLABUS_RATE_LIMIT_API must look like 100/minute" in result.stderr


# --- Two real server processes sharing Redis --------------------------------------------------

SHARED_REDIS_DB = 15  # the suite's per-worker cache databases are 1-14 (see pytest_plugin)


def _redis_base_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return url.rsplit("/", 1)[0] if url.count("/") > 2 else url


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local test server)
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def _wait_until_serving(url: str, process: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)  # polling a starting process, not waiting on our own clock
    pytest.fail(f"the server did not start: {log.read_text()[-2000:]}")


def test_limits_are_shared_by_two_server_processes_through_redis(tmp_path):
    import redis

    redis_url = f"{_redis_base_url()}/{SHARED_REDIS_DB}"
    connection = redis.Redis.from_url(redis_url, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {redis_url}: start it to run this test (CI has it)")

    def clear() -> None:
        for key in connection.scan_iter("syllabus-rl*"):
            connection.delete(key)

    clear()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SYLLABUS_DATA_DIR=str(tmp_path),
        REDIS_URL=redis_url,
        SYLLABUS_RATE_LIMIT_API="6/minute",
        SYLLABUS_LOG_LEVEL="warning",
    )
    # Collected once, so the two servers do not collect into one folder at the same time.
    collect = subprocess.run(
        [sys.executable, "-m", "syllabus", "collectstatic", "--noinput", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert collect.returncode == 0, collect.stderr
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[Any]] = []
    try:
        for port in ports:
            log = tmp_path / f"server-{port}.log"
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "syllabus",
                        "serve",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--threads",
                        "2",
                        "--no-collectstatic",
                    ],
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        for port, process in zip(ports, processes, strict=True):
            # The home page: not under /api/, so waiting does not count against the limit.
            _wait_until_serving(
                f"http://127.0.0.1:{port}/", process, tmp_path / f"server-{port}.log"
            )

        # when: three requests to each server
        first, second = (f"http://127.0.0.1:{port}/api/v1/version" for port in ports)
        remaining = []
        for url in (first, first, first, second, second, second):
            status, headers = _get(url)
            assert status == 200
            remaining.append(headers["RateLimit-Remaining"])
        # then: both servers counted in one bucket, and both now refuse
        assert remaining == ["5", "4", "3", "2", "1", "0"]
        for url in (first, second):
            status, headers = _get(url)
            assert status == 429
            assert int(headers["Retry-After"]) >= 1
            assert headers["RateLimit-Remaining"] == "0"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        clear()


def test_redis_counts_expire_with_the_window():
    import redis

    redis_url = f"{_redis_base_url()}/{SHARED_REDIS_DB}"
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {redis_url}: start it to run this test (CI has it)")
    limiter = Limiter(redis_url)
    key = ("test", secrets.token_hex(8))
    assert limiter.shared
    with time_machine.travel(T0, tick=False) as clock:
        assert [limiter.hit("2/minute", *key).allowed for _ in range(3)] == [True, True, False]
        clock.shift(timedelta(seconds=61))
        assert limiter.hit("2/minute", *key).allowed


def test_the_429_page_renders_without_a_wait_time(rf):
    # allauth renders 429.html for its own sign-in limits, without retry_after.
    from django.template.loader import render_to_string

    html = render_to_string("429.html", {}, request=rf.get("/accounts/login/"))
    assert "Please wait a minute, then go back and try again." in html
    assert "Too many attempts" in html
