"""The SMS gateway interface: the console gateway, the HTTP gateway against a real local
HTTP server, the circuit breaker around it, and sends retried by the job queue."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from syllabus.communication.sms import (
    ConsoleSmsGateway,
    HttpSmsGateway,
    SmsError,
    SmsRejected,
    sms_gateway,
    sms_send,
)
from syllabus.communication.tasks_sms import sms_send_task
from syllabus.core.breakers import CircuitBreakerError, breaker, breakers_forget
from syllabus.core.jobs import huey

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeGateway:
    """What the local server received, and what it answers next."""

    status: int = 200
    received: list[dict] = field(default_factory=list)
    hang: threading.Event | None = None


@pytest.fixture
def gateway_server() -> Iterator[tuple[str, FakeGateway]]:
    state = FakeGateway()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.received.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            if state.hang is not None:
                state.hang.wait(5)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"id": "msg-1"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/send", state
    finally:
        if state.hang is not None:
            state.hang.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _fresh_breakers():
    breakers_forget()
    yield
    breakers_forget()


def test_the_http_gateway_posts_json_with_a_bearer_token(gateway_server):
    url, state = gateway_server
    HttpSmsGateway(url, "s3cret-token").send("+447700900123", "Your code is 123456.")
    assert state.received == [
        {
            "path": "/send",
            "authorization": "Bearer s3cret-token",
            "content_type": "application/json",
            "body": {"to": "+447700900123", "text": "Your code is 123456."},
        }
    ]


def test_a_refusal_is_final_and_a_server_error_is_retryable(gateway_server):
    url, state = gateway_server
    state.status = 422
    with pytest.raises(SmsRejected, match="HTTP 422"):
        HttpSmsGateway(url, "t").send("+447700900123", "x")
    state.status = 503
    with pytest.raises(SmsError, match="HTTP 503"):
        HttpSmsGateway(url, "t").send("+447700900123", "x")
    state.status = 429  # too many requests: try again later
    with pytest.raises(SmsError):
        HttpSmsGateway(url, "t").send("+447700900123", "x")


def test_an_unreachable_or_slow_gateway_is_an_error(gateway_server):
    url, state = gateway_server
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsGateway("http://127.0.0.1:9/send", "t").send("+447700900123", "x")
    state.hang = threading.Event()
    with pytest.raises(SmsError):
        HttpSmsGateway(url, "t", timeout=0.2).send("+447700900123", "x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/send", "127.0.0.1/send"])
def test_only_a_web_gateway_url_is_accepted(url):
    # urlopen follows file:// and ftp:// too: the gateway refuses them before sending.
    with pytest.raises(ValueError, match="must be http"):
        HttpSmsGateway(url, "t")


def test_the_default_timeout_is_five_seconds():
    assert HttpSmsGateway("http://127.0.0.1/send", "t").timeout == 5


def test_the_breaker_opens_after_five_failures_and_lets_a_trial_through(gateway_server):
    url, state = gateway_server
    gateway = HttpSmsGateway(url, "t")
    state.status = 500
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(4):
            with pytest.raises(SmsError):
                sms_send(to="+447700900123", text="x", gateway=gateway)
        with pytest.raises(CircuitBreakerError):
            sms_send(to="+447700900123", text="x", gateway=gateway)
        assert len(state.received) == 5
        # open: the gateway is not called at all
        with pytest.raises(CircuitBreakerError):
            sms_send(to="+447700900123", text="x", gateway=gateway)
        assert len(state.received) == 5
        # after 60 s one trial goes through; it succeeds and closes the breaker
        state.status = 200
        traveller.shift(timedelta(seconds=61))
        sms_send(to="+447700900123", text="x", gateway=gateway)
        assert len(state.received) == 6
        assert breaker("sms").current_state == "closed"


def test_refusals_do_not_open_the_breaker(gateway_server):
    url, state = gateway_server
    state.status = 400
    for _ in range(6):
        with pytest.raises(SmsRejected):
            sms_send(to="+447700900123", text="x", gateway=HttpSmsGateway(url, "t"))
    assert breaker("sms").current_state == "closed"
    assert len(state.received) == 6


def test_the_gateway_is_chosen_by_setting(settings):
    assert isinstance(sms_gateway(), ConsoleSmsGateway)
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = "https://sms.example.org/send"
    settings.SMS_GATEWAY_TOKEN = "tok"
    chosen = sms_gateway()
    assert isinstance(chosen, HttpSmsGateway)
    assert (chosen.url, chosen.token) == ("https://sms.example.org/send", "tok")


def test_the_console_gateway_prints(capsys):
    ConsoleSmsGateway().send("+447700900123", "hello")
    assert "SMS to +447700900123: hello" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_failed_send_is_retried_by_the_queue_not_lost(gateway_server, settings, monkeypatch):
    url, state = gateway_server
    settings.SMS_GATEWAY, settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = "http", url, "t"
    queue = huey()
    queue.immediate = False
    monkeypatch.setattr("huey.contrib.djhuey.close_old_connections", lambda: None)
    try:
        state.status = 503
        sms_send_task(to="+447700900123", text="Your code is 123456.")
        queue.execute(queue.dequeue())
        (retry,) = queue.read_schedule(datetime(2100, 1, 1))  # scheduled again
        state.status = 200
        queue.execute(retry, timestamp=datetime(2100, 1, 1))
        assert queue.read_schedule(datetime(2100, 1, 1)) == []
        assert len(state.received) == 2
        assert state.received[-1]["body"]["text"] == "Your code is 123456."
    finally:
        queue.immediate = True


@pytest.mark.django_db
def test_settings_refuse_an_http_gateway_without_a_url(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYLLABUS_", "DATABASE_"))}
    env.update(SYLLABUS_DEBUG="true", SYLLABUS_DATA_DIR=str(tmp_path), SYLLABUS_SMS_GATEWAY="http")
    result = subprocess.run(
        [sys.executable, "-m", "syllabus", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "SYLLABUS_SMS_GATEWAY=http needs SYLLABUS_SMS_GATEWAY_URL" in result.stderr
