"""The server's CPU and memory during a benchmark run (bench/run.sh): every ``--interval``
seconds, one CSV row for the process tree of ``--pid`` (the gunicorn master of
``syllabus serve`` and all its workers), until stopped with SIGTERM or SIGINT.

    python bench/sampler.py --pid 1234 --out bench/results/<stamp>/resources.csv

Columns: ``time`` (UTC, ISO 8601), ``elapsed_s``, ``processes``, ``cpu_percent`` (summed
over the processes; 100 is one core busy), ``rss_mb`` (summed resident memory),
``machine_cpu_percent`` (all cores, 100 is every core busy: the load generator and
PostgreSQL share the machine) and ``load_1m``. Then the CPU of everything else the run
keeps busy on the machine, 100 being one core as for the server: ``postgres_cpu_percent``
(every PostgreSQL process), ``redis_cpu_percent``, ``locust_cpu_percent`` (the load
generator) and ``worker_cpu_percent`` (the job worker, ``--worker-pid``), so that a run
says where each request's CPU went (bench/summarize.py).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

FIELDS = [
    "time",
    "elapsed_s",
    "processes",
    "cpu_percent",
    "rss_mb",
    "machine_cpu_percent",
    "load_1m",
    "postgres_cpu_percent",
    "redis_cpu_percent",
    "locust_cpu_percent",
    "worker_cpu_percent",
]
COMPONENTS = ("postgres", "redis", "locust", "worker")


class Tree:
    """The root process and its descendants, kept between samples: psutil measures CPU %
    since the previous call on the same Process object."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.known: dict[int, psutil.Process] = {}

    def sample(self) -> tuple[int, float, float]:
        """(processes, CPU % since the last sample, RSS in MB) of the live tree."""
        try:
            members = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0, 0.0, 0.0
        cpu = rss = 0.0
        alive: dict[int, psutil.Process] = {}
        for process in members:
            # A recycled worker is a new process: its first reading starts its clock.
            process = self.known.get(process.pid, process)
            try:
                cpu += process.cpu_percent(None)
                rss += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            alive[process.pid] = process
        self.known = alive
        return len(alive), cpu, rss / 1_048_576


def component_of(info: dict[str, Any], worker_pids: set[int]) -> str | None:
    """Which part of the run a process is (COMPONENTS), or None for anything else."""
    name = str(info.get("name") or "")
    command = " ".join(str(part) for part in (info.get("cmdline") or []))
    if info.get("pid") in worker_pids:
        return "worker"
    if name.startswith("postgres") or command.startswith("postgres:"):
        return "postgres"
    if name.startswith("redis-server"):
        return "redis"
    if "locust" in command:
        return "locust"
    return None


class Components:
    """The CPU % of the processes of each component since the previous sample. Processes
    are found again on every sample (PostgreSQL starts a backend per new connection);
    each one's first reading is 0, like the server's."""

    def __init__(self, *, exclude: set[int], worker_pid: int | None) -> None:
        self.exclude = exclude
        self.worker_pid = worker_pid
        self.known: dict[int, psutil.Process] = {}

    def sample(self) -> dict[str, float]:
        workers: set[int] = set()
        if self.worker_pid is not None:
            try:
                worker = psutil.Process(self.worker_pid)
                workers = {worker.pid, *(c.pid for c in worker.children(recursive=True))}
            except psutil.NoSuchProcess:
                pass
        totals = dict.fromkeys(COMPONENTS, 0.0)
        alive: dict[int, psutil.Process] = {}
        for found in psutil.process_iter(["pid", "name", "cmdline"]):
            if found.pid in self.exclude:
                continue
            kind = component_of(found.info, workers)
            if kind is None:
                continue
            # The same Process object as last time: its CPU % is since that reading.
            process = self.known.get(found.pid, found)
            try:
                totals[kind] += process.cpu_percent(None)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            alive[found.pid] = process
        self.known = alive
        return totals


def run(
    *,
    pid: int,
    out: Path,
    interval: float,
    stop: threading.Event,
    worker_pid: int | None = None,
) -> int:
    """Write rows until ``stop`` is set or the server is gone; the number of rows."""
    tree = Tree(pid)
    tree.sample()  # the first CPU reading of a process is always 0: start the clocks
    components = Components(exclude={os.getpid()}, worker_pid=worker_pid)
    components.sample()
    psutil.cpu_percent(None)
    started = time.monotonic()
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        while not stop.wait(interval):
            processes, cpu, rss = tree.sample()
            if not processes:
                break
            components.exclude = {os.getpid(), *tree.known}
            others = components.sample()
            writer.writerow(
                {
                    "time": datetime.now(UTC).isoformat(timespec="seconds"),
                    "elapsed_s": round(time.monotonic() - started, 1),
                    "processes": processes,
                    "cpu_percent": round(cpu, 1),
                    "rss_mb": round(rss, 1),
                    "machine_cpu_percent": psutil.cpu_percent(None),
                    "load_1m": round(os.getloadavg()[0], 2),
                    **{f"{kind}_cpu_percent": round(others[kind], 1) for kind in COMPONENTS},
                }
            )
            handle.flush()  # a run stopped hard keeps what was measured
            rows += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pid", type=int, required=True, help="the server's (master) process")
    parser.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between samples")
    parser.add_argument("--worker-pid", type=int, help="the job worker's process")
    args = parser.parse_args()
    if args.interval <= 0:
        parser.error("--interval must be more than 0")
    if not psutil.pid_exists(args.pid):
        parser.error(f"no process {args.pid}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    rows = run(
        pid=args.pid, out=args.out, interval=args.interval, stop=stop, worker_pid=args.worker_pid
    )
    sys.stdout.write(f"{args.out}: {rows} samples\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
