"""The peak mode of ``make bench`` (BENCH_MODE=peak): users step up until the latency
gives, to find the highest request rate whose p95 stays under the limit.

Loaded next to the scenarios (``locust -f bench/locustfile.py,bench/peak_shape.py``).
Each step adds ``BENCH_PEAK_STEP`` users (from ``BENCH_PEAK_START``) and holds them for
``BENCH_PEAK_STEP_TIME`` seconds, up to ``BENCH_USERS``. A step is measured after its
users have all started and ``BENCH_PEAK_SETTLE`` seconds more, to its end: the requests
completed in that span, exactly (from the difference of Locust's response-time
histograms), written as one row of ``BENCH_PEAK_CSV``. Two steps in a row over
``BENCH_PEAK_P95_MS`` (500) end the run: the peak is behind. ``bench/summarize.py``
reports the highest req/s step whose p95 stayed under the limit.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path
from typing import Any

from locust import LoadTestShape
from locust.stats import calculate_response_time_percentile, diff_response_time_dicts

START = int(os.environ.get("BENCH_PEAK_START", "50"))
STEP = int(os.environ.get("BENCH_PEAK_STEP", "50"))
STEP_TIME = float(os.environ.get("BENCH_PEAK_STEP_TIME", "60"))
SETTLE = float(os.environ.get("BENCH_PEAK_SETTLE", "10"))
MAX_USERS = int(os.environ.get("BENCH_USERS", "10000"))
SPAWN_RATE = float(os.environ.get("BENCH_SPAWN_RATE", "20"))
LIMIT_MS = float(os.environ.get("BENCH_PEAK_P95_MS", "500"))
OUT = Path(os.environ.get("BENCH_PEAK_CSV", "var/bench/peak_steps.csv"))
FIELDS = ["step", "users", "seconds", "requests", "failures", "rps", "p50", "p95", "p99"]


def step_row(
    *,
    step: int,
    users: int,
    seconds: float,
    start: tuple[int, int, dict[int, int]],
    end: tuple[int, int, dict[int, int]],
) -> dict[str, Any]:
    """One step's numbers from two snapshots (requests, failures, histogram) of the totals."""
    requests = end[0] - start[0]
    histogram = diff_response_time_dicts(end[2], start[2])

    def pct(p: float) -> int:
        return calculate_response_time_percentile(histogram, requests, p) if requests else 0

    return {
        "step": step,
        "users": users,
        "seconds": round(seconds, 1),
        "requests": requests,
        "failures": end[1] - start[1],
        "rps": round(requests / seconds, 2) if seconds > 0 else 0.0,
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
    }


class PeakSteps(LoadTestShape):
    """Steps of users; one CSV row per step, measured once the step's users run."""

    def __init__(self) -> None:
        super().__init__()
        self.step = -1
        self.mark: tuple[float, tuple[int, int, dict[int, int]]] | None = None
        self.over = 0
        OUT.parent.mkdir(parents=True, exist_ok=True)
        with OUT.open("w", newline="") as handle:
            csv.DictWriter(handle, fieldnames=FIELDS).writeheader()

    def _snapshot(self) -> tuple[int, int, dict[int, int]]:
        assert self.runner is not None
        total = self.runner.stats.total
        return total.num_requests, total.num_failures, dict(total.response_times)

    def _users(self, step: int) -> int:
        return min(START + step * STEP, MAX_USERS)

    def _close_step(self) -> None:
        if self.mark is None:
            return
        began, snapshot = self.mark
        row = step_row(
            step=self.step,
            users=self._users(self.step),
            seconds=time.monotonic() - began,
            start=snapshot,
            end=self._snapshot(),
        )
        with OUT.open("a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=FIELDS).writerow(row)
        self.over = self.over + 1 if row["p95"] > LIMIT_MS else 0
        self.mark = None

    def tick(self) -> tuple[int, float] | None:
        run_time = self.get_run_time()
        step = int(run_time // STEP_TIME)
        if step != self.step:
            self._close_step()
            if self.over >= 2 or (self.step >= 0 and self._users(self.step) >= MAX_USERS):
                return None
            self.step = step
        users = self._users(step)
        # Measure once every user of the step runs, and SETTLE seconds more.
        if (
            self.mark is None
            and self.runner is not None
            and self.runner.user_count >= users
            and run_time - step * STEP_TIME >= SETTLE
            and run_time < (step + 1) * STEP_TIME - 1
        ):
            self.mark = (time.monotonic(), self._snapshot())
        return users, SPAWN_RATE
