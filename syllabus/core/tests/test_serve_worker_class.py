"""`syllabus serve --worker-class` and SYLLABUS_WEB_WORKER_CLASS: gthread, sync or asgi."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import CommandError, call_command
from gunicorn.config import Config
from gunicorn.util import load_class

from syllabus.core.management.commands import serve
from tests.processes import syllabus_check


class Captured:
    """Stands in for gunicorn: records what `syllabus serve` would start it with."""

    calls: list[tuple[dict[str, Any], bool]] = []

    def __init__(self, options: dict[str, Any], *, asgi: bool = False) -> None:
        self.calls.append((options, asgi))

    def run(self) -> None:
        return None


@pytest.fixture
def captured(monkeypatch):
    Captured.calls = []
    monkeypatch.setattr(serve, "GunicornApplication", Captured)
    monkeypatch.setattr(serve, "metrics_dir_tidy", lambda: None)
    return Captured.calls


def _serve(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("serve", "--no-collectstatic", *args, stdout=out)
    return out.getvalue()


def test_default_is_gthread_with_the_threads_setting(captured, settings):
    settings.WEB_WORKERS, settings.WEB_THREADS = 3, 6
    output = _serve()
    (options, asgi), *_ = captured
    assert (options["worker_class"], options["workers"], options["threads"]) == ("gthread", 3, 6)
    assert asgi is False
    assert "(3 workers x 6 threads)" in output


def test_setting_chooses_the_worker_class(captured, settings):
    settings.WEB_WORKER_CLASS = "sync"
    output = _serve("--workers", "4", "--threads", "8")
    (options, asgi), *_ = captured
    # gunicorn would quietly run a sync worker with threads > 1 as gthread.
    assert (options["worker_class"], options["workers"], options["threads"]) == ("sync", 4, 1)
    assert asgi is False
    assert "4 sync workers" in output


def test_option_overrides_the_setting_and_asgi_serves_the_asgi_app(captured, settings):
    settings.WEB_WORKER_CLASS = "gthread"
    output = _serve("--worker-class", "asgi")
    (options, asgi), *_ = captured
    assert options["worker_class"] == "uvicorn_worker.UvicornWorker"
    assert options["threads"] == 1
    assert asgi is True
    assert "ASGI workers (uvicorn)" in output


def test_unknown_worker_class_is_refused_by_the_command(captured):
    with pytest.raises(CommandError, match="invalid choice: 'eventlet'"):
        _serve("--worker-class", "eventlet")
    assert captured == []


@pytest.mark.parametrize("name", sorted(serve.WORKER_CLASSES))
def test_gunicorn_accepts_every_configuration(name):
    """Each configuration is valid for gunicorn, and its worker class can be imported."""
    options = serve.gunicorn_options(bind="127.0.0.1:8000", workers=2, threads=8, worker_class=name)
    config = Config()
    for key, value in options.items():
        config.set(key, value)
    worker = load_class(config.worker_class_str)
    assert worker.__module__.split(".")[0] in {"gunicorn", "uvicorn_worker"}
    assert config.threads == (8 if name == "gthread" else 1)
    assert config.max_requests == 20000
    assert config.keepalive == 75  # SYLLABUS_WEB_KEEPALIVE's default


def test_the_server_keeps_idle_connections_longer_than_nginx_keeps_its_upstream_ones(settings):
    """nginx must close an idle upstream connection first: the other way round it may
    send a request on a connection gunicorn is closing, and answer a POST with 502."""
    import re
    from pathlib import Path

    deploy = Path(__file__).resolve().parents[3] / "deploy" / "nginx"
    for name in ("upstream-compose.conf", "syllabus.conf"):
        timeouts = re.findall(r"keepalive_timeout\s+(\d+)s;", (deploy / name).read_text())
        assert timeouts, name
    upstream = int(
        re.findall(r"keepalive_timeout\s+(\d+)s;", (deploy / "upstream-compose.conf").read_text())[
            0
        ]
    )
    assert upstream < settings.WEB_KEEPALIVE
    options = serve.gunicorn_options(
        bind="127.0.0.1:1", workers=1, threads=2, worker_class="gthread"
    )
    assert options["keepalive"] == settings.WEB_KEEPALIVE


def test_gunicorn_options_refuse_an_unknown_class():
    with pytest.raises(ValueError, match="unknown worker class 'gevent'"):
        serve.gunicorn_options(bind="127.0.0.1:1", workers=1, threads=1, worker_class="gevent")


@pytest.mark.parametrize(("asgi", "handler"), [(False, WSGIHandler), (True, ASGIHandler)])
def test_the_application_matches_the_worker_class(asgi, handler, monkeypatch):
    warmed = []
    monkeypatch.setattr("syllabus.core.warmup.warm_up", lambda: warmed.append(True))
    app = serve.GunicornApplication({"bind": "127.0.0.1:1"}, asgi=asgi)
    assert isinstance(app.load(), handler)
    assert warmed == [True]  # each worker warms up before its first request


def test_the_warm_up_imports_the_urlconf_and_compiles_every_template(monkeypatch):
    from django.urls import clear_url_caches, get_resolver

    from syllabus.core import warmup

    clear_url_caches()
    names = warmup._template_names()
    assert "base.html" in names
    assert "assessments/attempt_take.html" in names
    assert len(names) > 100
    done = warmup.warm_up()
    assert done["templates"] == len(names)  # none failed to compile
    assert get_resolver()._populated


def test_a_bad_setting_stops_start_up_naming_the_variable(tmp_path):
    result = syllabus_check(tmp_path, SYLLABUS_WEB_WORKER_CLASS="meinheld")
    assert result.returncode == 1
    assert "SYLLABUS_WEB_WORKER_CLASS must be one of gthread, sync, asgi" in result.stderr
