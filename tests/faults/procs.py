"""Real processes for the fault tests: Syllabus's server and worker, Redis, on 127.0.0.1.

Every process started here is stopped by the fixture that started it (by its own pid).
Each subprocess gets its own data folder and only the environment it needs: never the
test run's database, Redis or metrics folder.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SYLLABUS = str(Path(sys.executable).with_name("syllabus"))
SECRET_KEY = secrets.token_urlsafe(50)
FIELD_KEYS = f"faults:{base64.b64encode(secrets.token_bytes(32)).decode()}"
METRICS_TOKEN = "fault-tests-metrics-token-0123456789"
FAULT_USER = "fault@example.org"
FAULT_PASSWORD = "Fault-Tests-Password-42"
# Variables of the test run that must not leak into the processes under test.
DROPPED = ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE")


def app_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in DROPPED and not k.startswith("SYLLABUS_")
    }
    env.update(
        {
            "SYLLABUS_DATA_DIR": str(data_dir),
            "SYLLABUS_SECRET_KEY": SECRET_KEY,
            "SYLLABUS_FIELD_KEYS": FIELD_KEYS,
            "SYLLABUS_DEBUG": "false",
            "SYLLABUS_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SYLLABUS_JOBS_IMMEDIATE": "false",
            "SYLLABUS_METRICS_TOKEN": METRICS_TOKEN,
            "SYLLABUS_HEALTH_CACHE_SECONDS": "0",
            "SYLLABUS_HEALTH_TIMEOUT_SECONDS": "2",
            "SYLLABUS_METRICS_FLUSH_SECONDS": "0",
            "SYLLABUS_LOG_LEVEL": "info",
            "SYLLABUS_SIGNUP": "off",
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    """A child process whose output goes to a log file we can read while it runs."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    def start(self) -> Proc:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its children
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL, no chance to clean up (and reaped, so it is not a zombie)."""
        self.stop(signal.SIGKILL)


def run_cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> str:
    result = subprocess.run(
        [SYLLABUS, *args],
        env=env or app_env(data_dir),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def shell(data_dir: Path, code: str, env: dict[str, str] | None = None) -> str:
    return run_cli(data_dir, "shell", "-c", code, env=env)


def migrated_template(folder: Path) -> Path:
    """A data folder with a migrated SQLite database and one user (made once per run)."""
    folder.mkdir(parents=True, exist_ok=True)
    run_cli(folder, "migrate", "--noinput", "-v", "0", timeout=300)
    run_cli(folder, "collectstatic", "--noinput", "-v", "0", timeout=300)
    shell(
        folder,
        "from tests.factories import UserFactory; "
        "from django.contrib.auth.hashers import make_password; "
        f"UserFactory(email={FAULT_USER!r}, password=make_password({FAULT_PASSWORD!r}))",
    )
    return folder


def data_dir_from(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, ignore=shutil.ignore_patterns("prometheus", "jobs.sqlite3*"))
    return target


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """A cookie-keeping HTTP client that never raises on an error status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, method: str, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 20) -> Answer:  # fmt: skip
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.read().decode(errors="replace"),
                              dict(response.headers))  # fmt: skip
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(errors="replace"), dict(error.headers))

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base + path}
        return self.request("POST", path, data=data, headers=headers)

    def post_json(self, path: str, payload: dict[str, Any], **headers: str) -> Answer:
        return self.request(
            "POST", path, data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **headers},
        )  # fmt: skip

    def sign_in(self, email: str = FAULT_USER, password: str = FAULT_PASSWORD) -> Answer:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token, page.status
        return self.post_form(
            "/accounts/login/",
            {"login": email, "password": password, "csrfmiddlewaretoken": token[1]},
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


import urllib.parse  # noqa: E402  (used by Browser.post_form)


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    what: str | Callable[[], str],
    step: float = 0.2,
    *,
    proc: Proc | None = None,
) -> None:
    """Polls `check` until it is true. `what` names what we wait for in the failure; a
    callable is called then, so it can show a log written while we waited. With `proc`,
    fails at once (with its output) when that process has exited: it will not come up."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError) as error:
            last_error = error
        if proc is not None and proc.popen is not None and proc.popen.poll() is not None:
            raise AssertionError(
                f"{proc.name} exited with code {proc.popen.returncode} while we waited for "
                f"{_describe(what)}\n{proc.output()[-3000:]}"
            )
        time.sleep(step)
    tail = f"\nlast error: {last_error!r}" if last_error is not None else ""
    raise AssertionError(f"timed out after {timeout:g} s waiting for {_describe(what)}{tail}")


def _describe(what: str | Callable[[], str]) -> str:
    return what if isinstance(what, str) else what()


@contextlib.contextmanager
def served(data_dir: Path, env: dict[str, str], *, workers: int = 1, threads: int = 4,
           log_name: str = "serve.log") -> Iterator[tuple[Proc, str]]:  # fmt: skip
    port = free_port()
    proc = Proc(
        "serve",
        [SYLLABUS, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--threads", str(threads), "--no-collectstatic"],
        env,
        data_dir / log_name,
    ).start()  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: Browser(base).get("/health/live", timeout=2).status == 200, 45,
                 lambda: f"the server on {base}\n{proc.output()[-2000:]}", proc=proc)  # fmt: skip
        yield proc, base
    finally:
        proc.stop()


@contextlib.contextmanager
def redis_server(folder: Path, port: int | None = None) -> Iterator[tuple[Proc, int]]:
    port = port or free_port()
    proc = Proc(
        "redis",
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        dict(os.environ),
        folder / f"redis-{port}.log",
    ).start()  # fmt: skip
    try:
        wait_for(lambda: _redis_ping(port), 10, f"redis on port {port}", proc=proc)
        yield proc, port
    finally:
        proc.stop()


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(64).startswith(b"+PONG")
