"""``meta.json`` of a benchmark run (bench/run.sh, bench/quiz.sh): the machine, the
versions, the settings and the command, written before Locust starts; ``--finish``
adds when it ended and Locust's exit status.

    python bench/meta.py OUT/meta.json --stamp S --server gthread --scenario steady \\
        --users 10000 --spawn-rate 20 [...] -- locust -f ...
    python bench/meta.py OUT/meta.json --finish 0

The command that started the run comes from ``BENCH_META_COMMAND``; the database (for
its PostgreSQL version) from ``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine() -> dict[str, Any]:
    import locust
    import psutil
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as db:
        row = db.execute("SHOW server_version").fetchone()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, as in bench/run.sh)
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": f"PostgreSQL {row[0] if row else '?'}",
        "locust": locust.__version__,
        "commit": commit or "?",
        "load_before": round(os.getloadavg()[0], 2),
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--finish", type=int, metavar="LOCUST_EXIT_STATUS")
    parser.add_argument("--stamp", default="")
    parser.add_argument("--server", default="gthread")
    parser.add_argument("--scenario", choices=("steady", "peak", "quiz"), default="steady")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--spawn-rate", default="")
    parser.add_argument("--run-time", default="")
    parser.add_argument("--wait-min", default="")
    parser.add_argument("--wait-max", default="")
    parser.add_argument("--learners", type=int, default=0)
    parser.add_argument("--courses", type=int, default=0)
    parser.add_argument("--reused-data", action="store_true")
    argv = sys.argv[1:]
    # Everything after "--" is the Locust command, recorded as it is (argparse's
    # REMAINDER would swallow the options before it as well).
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)

    if args.finish is not None:
        meta = json.loads(args.out.read_text())
        meta["finished"] = now()
        meta["locust_exit"] = args.finish
        args.out.write_text(json.dumps(meta, indent=1) + "\n")
        return 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.config.settings")
    from django.conf import settings  # the values `syllabus serve` starts with

    meta = {
        "stamp": args.stamp,
        "server": args.server,
        "mode": args.scenario,
        "workers": settings.WEB_WORKERS,
        "threads": settings.WEB_THREADS if args.server == "gthread" else 1,
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "run_time": args.run_time,
        "wait_min": args.wait_min,
        "wait_max": args.wait_max,
        "learners": args.learners,
        "courses": args.courses,
        "reused_data": args.reused_data,
        "command": os.environ.get("BENCH_META_COMMAND", "").strip(),
        "locust_command": " ".join(command),
        "started": now(),
        "machine": machine(),
    }
    if args.scenario == "quiz":
        meta["think_seconds"] = [
            os.environ.get("QUIZ_BENCH_THINK_MIN", "?"),  # bench/quiz.sh sets both
            os.environ.get("QUIZ_BENCH_THINK_MAX", "?"),
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
