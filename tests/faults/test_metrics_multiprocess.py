"""/metrics under a real `syllabus serve --workers 2`: requests answered by both workers add
up in one scrape (prometheus-client multiprocess mode), whichever worker is scraped."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.procs import METRICS_TOKEN, Browser, app_env, data_dir_from, served

pytestmark = pytest.mark.faults
REQUESTS = 60
ROUNDS = 10


def _live_count(base: str) -> tuple[float, int]:
    answer = Browser(base).get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status == 200, answer.body[:300]
    total = 0.0
    for family in text_string_to_metric_families(answer.body):
        for sample in family.samples:
            if sample.name == "syllabus_http_requests_total" and sample.labels == {
                "route": "/health/live", "method": "GET", "status": "200",
            }:  # fmt: skip
                total += sample.value
    return total, len(answer.body)


def _json_or_none(text: str) -> dict | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _served_by(output: str) -> set[int]:
    """The pids of the workers that logged a /health/live request."""
    return {
        line["pid"]
        for line in map(_json_or_none, output.splitlines())
        if line and line.get("route") == "/health/live"
    }


def _worker_pids(master: int) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    )
    return {int(pid) for pid in out.stdout.split()}


def test_counters_add_up_across_two_gunicorn_workers(migrated, tmp_path):
    started = time.monotonic()
    data = data_dir_from(migrated, tmp_path / "data")
    env = app_env(data, SYLLABUS_METRICS_FLUSH_SECONDS="60")
    with served(data, env, workers=2, threads=2) as (server, base):
        wait_for_two = time.monotonic() + 20
        while len(_worker_pids(server.pid)) < 2 and time.monotonic() < wait_for_two:
            time.sleep(0.2)
        workers = _worker_pids(server.pid)
        assert len(workers) == 2, workers
        before, _ = _live_count(base)

        # when: requests in parallel, each on a new connection, until both workers have
        # answered some (the kernel decides which worker accepts: one may take a whole
        # round on a fast machine)
        sent = 0
        served_by: set[int] = set()
        for _ in range(ROUNDS):
            with ThreadPoolExecutor(max_workers=8) as pool:
                statuses = list(pool.map(lambda _: Browser(base).get("/health/live").status,
                                         range(REQUESTS)))  # fmt: skip
            assert statuses == [200] * REQUESTS
            sent += REQUESTS
            served_by = _served_by(server.output())  # access log lines carry the pid
            if served_by == workers:
                break
        assert served_by == workers, (served_by, workers)

        # then: every scrape, whichever worker answers it, counts them all
        for _ in range(4):
            after, _ = _live_count(base)
            assert after - before == sent

        # the dashboard's per-minute counts: pages (not probes) are counted by each worker
        with ThreadPoolExecutor(max_workers=4) as pool:
            pages = list(pool.map(lambda _: Browser(base).get("/courses/").status, range(20)))
        assert pages == [200] * 20
    # each worker writes its last counts as it exits
    with sqlite3.connect(data / "syllabus.sqlite3") as db:
        counted = db.execute("SELECT coalesce(sum(requests), 0) FROM ops_requestminute").fetchone()
    assert counted[0] == 20
    assert time.monotonic() - started < 60
