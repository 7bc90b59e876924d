from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.management.commands.check import Command as DjangoCheck
from gunicorn.app.base import BaseApplication


def bind_address(value: str) -> str:
    """HOST:PORT with a valid port; IPv6 hosts in brackets, e.g. [::1]:8000."""
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {port!r}")
    bare = host.strip("[]")
    if ":" in bare:
        try:
            ipaddress.IPv6Address(bare)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid IPv6 address {bare!r}") from None
    return value


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _child_exit(server: Any, worker: Any) -> None:
    """A gunicorn worker ended: its live gauges leave the metrics (prometheus multiprocess)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _worker_exit(server: Any, worker: Any) -> None:
    """Write the worker's last per-minute request counts before it goes."""
    from syllabus.core.metrics import minutes

    minutes.flush(include_current=True)


def metrics_dir_tidy() -> None:
    """Remove the metric files of processes that no longer run (prometheus-client asks for
    a clean folder at start-up): a restart starts the counters again, as any restarted
    Prometheus target does, and the folder does not fill with files of old processes. Files
    of live processes (a job worker sharing the folder) are kept."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory or not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        pid = name.removesuffix(".db").rsplit("_", 1)[-1]
        if name.endswith(".db") and pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, name))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# `syllabus serve --worker-class` / SYLLABUS_WEB_WORKER_CLASS -> gunicorn's worker class.
# asgi: uvicorn's gunicorn worker (the uvicorn-worker package; uvicorn.workers is deprecated)
# serving syllabus.config.asgi, where Django runs the (sync) views in a thread of its own.
WORKER_CLASSES = {
    "gthread": "gthread",
    "sync": "sync",
    "asgi": "uvicorn_worker.UvicornWorker",
}


def gunicorn_options(*, bind: str, workers: int, threads: int, worker_class: str) -> dict[str, Any]:
    """gunicorn's configuration for ``syllabus serve``. Only gthread uses ``threads``:
    gunicorn turns a sync worker with more than one thread into gthread, which would
    measure the wrong server, and uvicorn's worker has no threads setting."""
    if worker_class not in WORKER_CLASSES:
        raise ValueError(f"unknown worker class {worker_class!r}")
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads if worker_class == "gthread" else 1,
        "worker_class": WORKER_CLASSES[worker_class],
        "timeout": settings.WEB_TIMEOUT,
        "graceful_timeout": settings.WEB_TIMEOUT,
        # Above the proxy's idle timeout for upstream connections (settings.WEB_KEEPALIVE).
        "keepalive": settings.WEB_KEEPALIVE,
        # Recycle workers now and then so a slow leak cannot grow forever.
        "max_requests": 20000,
        "max_requests_jitter": 2000,
        "accesslog": None,  # our RequestIdMiddleware writes the access log
        "errorlog": "-",
        "proc_name": "syllabus",
        # Metrics in multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by settings).
        "child_exit": _child_exit,
        "worker_exit": _worker_exit,
    }


def describe(*, workers: int, threads: int, worker_class: str) -> str:
    """The start-up line's account of the processes, e.g. "2 workers x 8 threads"."""
    if worker_class == "gthread":
        return f"{workers} workers x {threads} threads"
    if worker_class == "sync":
        return f"{workers} sync workers, one request at a time each"
    return f"{workers} ASGI workers (uvicorn)"


class GunicornApplication(BaseApplication):
    def __init__(self, options: dict[str, Any], *, asgi: bool = False) -> None:
        self.options = options
        self.asgi = asgi
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported here, after collectstatic, so whitenoise indexes the collected files.
        # Runs in each worker before it accepts a connection: the warm-up takes the URLconf
        # import and the template compiling off the first requests (syllabus.core.warmup).
        from syllabus.core.warmup import warm_up

        if self.asgi:
            from syllabus.config.asgi import application as asgi_application

            application: Any = asgi_application
        else:
            from syllabus.config.wsgi import application
        warm_up()
        return application


class Command(BaseCommand):
    help = (
        "Serve Syllabus with gunicorn (threaded workers by default). Not for development reloads."
    )
    requires_system_checks = []  # run by the `check` below, once, before forking

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default="127.0.0.1:8000",
            type=bind_address,
            help="address to listen on, HOST:PORT (default 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=None,
            help=f"worker processes (default SYLLABUS_WEB_WORKERS, now {settings.WEB_WORKERS})",
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=None,
            help=f"threads per worker (default SYLLABUS_WEB_THREADS, now {settings.WEB_THREADS})",
        )
        parser.add_argument(
            "--worker-class",
            choices=sorted(WORKER_CLASSES),
            default=None,
            help="gunicorn worker class: gthread (threads), sync (one request per process) "
            "or asgi (uvicorn); default SYLLABUS_WEB_WORKER_CLASS, "
            f"now {settings.WEB_WORKER_CLASS}",
        )
        parser.add_argument("--migrate", action="store_true", help="apply migrations first")
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="do not collect static files before starting",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Production checks (HSTS, secure cookies, ...) apply once TLS is configured; a
        # plain-HTTP production start gets one clear line instead of four warnings.
        # Django's own checks only: the production checklist of `syllabus check --deploy`
        # (a verified backup, administrators' MFA...) is for operators, and must not stop
        # a new site from starting.
        call_command(DjangoCheck(), deploy=settings.TLS, fail_level="ERROR")
        if not settings.TLS and not settings.DEBUG:
            self.stdout.write(
                "Serving plain HTTP. Behind HTTPS, set SYLLABUS_TLS=true "
                "(see docs/configuration.md)."
            )
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        metrics_dir_tidy()
        workers = options["workers"] or settings.WEB_WORKERS
        threads = options["threads"] or settings.WEB_THREADS
        worker_class = options["worker_class"] or settings.WEB_WORKER_CLASS
        self.stdout.write(
            f"Syllabus listening on http://{options['bind']} "
            f"({describe(workers=workers, threads=threads, worker_class=worker_class)}). "
            "Press Ctrl+C to stop."
        )
        GunicornApplication(
            gunicorn_options(
                bind=options["bind"], workers=workers, threads=threads, worker_class=worker_class
            ),
            asgi=worker_class == "asgi",
        ).run()
