"""The summary of one ``make bench`` run, from the files it wrote in its results folder:

- ``locust_stats.csv`` and ``locust_failures.csv`` (Locust's ``--csv``): per-request
  counts, failures and percentiles;
- ``resources.csv`` (bench/sampler.py): the server's CPU and memory, and the CPU of
  PostgreSQL, Redis, Locust and the job worker: per request, where the machine's CPU went;
- ``meta.json`` (bench/run.sh): the machine, the versions, the settings and the command;
- ``peak_steps.csv`` (bench/peak_shape.py, peak mode only): one row per step of users.

Writes ``summary.md`` in the folder, prints it, and with ``--append FILE`` adds it to
FILE (bench/RESULTS.md) as a new section:

    python bench/summarize.py bench/results/20261126T1040Z-gthread [--append bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# The targets (seed 2.4): API p95 under 500 ms, pages under 1 s, video start P90
# under 2 s, no errors; the peak is the highest rate whose p95 stays under 500 ms.
API_P95_MS = 500
PAGE_P95_MS = 1000
VIDEO_P90_MS = 2000
PEAK_P95_MS = 500
# The quiz start (issue #5): no errors and p95 under 500 ms for autosave and submit.
QUIZ_P95_MS = 500
QUIZ_JUDGED = ("autosave", "submit")
VIDEO = ("video start", "video seek")
# Signing in (Argon2 on purpose) and accepting the privacy policy happen once per person:
# listed, not judged.
NOT_JUDGED = {
    "sign-in page",
    "sign in",
    "after sign-in",
    "consent page",
    "consent accept",
    "api token",
    "api policies",
    "api consent",
}


@dataclass(frozen=True)
class Row:
    method: str
    name: str
    count: int
    failures: int
    rps: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api ")


def _number(value: str) -> float:
    """Locust writes "N/A" for a percentile of a request that never completed."""
    try:
        return float(value)
    except ValueError:
        return 0.0


def read_stats(path: Path) -> tuple[list[Row], Row]:
    """Per-request rows (sorted by name) and the aggregated row of ``locust_stats.csv``."""
    rows: list[Row] = []
    total: Row | None = None
    with path.open(newline="") as handle:
        for record in csv.DictReader(handle):
            row = Row(
                method=record["Type"],
                name=record["Name"],
                count=int(record["Request Count"]),
                failures=int(record["Failure Count"]),
                rps=_number(record["Requests/s"]),
                p50=_number(record["50%"]),
                p90=_number(record["90%"]),
                p95=_number(record["95%"]),
                p99=_number(record["99%"]),
                max=_number(record["Max Response Time"]),
            )
            if row.name == "Aggregated":
                total = row
            else:
                rows.append(row)
    if total is None:
        raise ValueError(f"{path}: no Aggregated row (not a Locust stats file?)")
    return sorted(rows, key=lambda r: (r.name, r.method)), total


def read_failures(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def resource_summary(path: Path) -> dict[str, float] | None:
    """Peak and mean of the server's CPU % and RSS, and the machine's mean CPU %."""
    if not path.exists():
        return None
    with path.open(newline="") as handle:
        samples = list(csv.DictReader(handle))
    if not samples:
        return None
    cpu = [float(s["cpu_percent"]) for s in samples]
    rss = [float(s["rss_mb"]) for s in samples]
    machine = [float(s["machine_cpu_percent"]) for s in samples]
    return {
        "samples": len(samples),
        "seconds": float(samples[-1]["elapsed_s"]),
        "cpu_peak": max(cpu),
        "cpu_mean": statistics.fmean(cpu),
        "rss_peak": max(rss),
        "rss_mean": statistics.fmean(rss),
        "machine_cpu_mean": statistics.fmean(machine),
        "processes": max(int(s["processes"]) for s in samples),
    }


# The everyday load: 10,000 people each acting every 30 s on average.
TARGET_RPS = 10_000 / 30
# (label, resources.csv column): what the sampler measures, in the order shown.
CPU_PARTS = (
    ("app server", "cpu_percent"),
    ("PostgreSQL", "postgres_cpu_percent"),
    ("Locust", "locust_cpu_percent"),
    ("Redis", "redis_cpu_percent"),
    ("job worker", "worker_cpu_percent"),
)


def cpu_per_request(
    path: Path, *, requests: int, cores: int, window: tuple[str, str] | None = None
) -> dict[str, float] | None:
    """Milliseconds of CPU per request served, for each part of the run (CPU_PARTS), the
    rest of the machine (``other``: the kernel's networking, other programs) and the
    ``machine`` as a whole; None when the sampler did not record the parts (older runs).
    Each sample's percentages cover the interval since the previous one. ``window``
    (Locust's start and end, ISO 8601 in UTC) leaves out the samples taken before and
    after the load: the server's start, and the database settling after a data load."""
    if requests <= 0 or not path.exists():
        return None
    with path.open(newline="") as handle:
        samples = list(csv.DictReader(handle))
    if not samples or any(column not in samples[0] for _, column in CPU_PARTS):
        return None
    seconds = dict.fromkeys([label for label, _ in CPU_PARTS] + ["machine"], 0.0)
    start, end = (_instant(window[0]), _instant(window[1])) if window else (None, None)
    previous = 0.0
    counted = 0
    for sample in samples:
        elapsed = float(sample["elapsed_s"])
        interval, previous = elapsed - previous, elapsed
        taken = _instant(sample["time"])
        if start is not None and end is not None and not start < taken <= end:
            continue
        counted += 1
        for label, column in CPU_PARTS:
            seconds[label] += float(sample[column]) / 100 * interval
        seconds["machine"] += float(sample["machine_cpu_percent"]) / 100 * cores * interval
    if not counted or seconds["machine"] <= 0:
        return None  # nothing sampled while Locust ran (a run of a few seconds)
    parts = {label: seconds[label] * 1000 / requests for label in seconds}
    parts["other"] = max(0.0, parts["machine"] - sum(parts[label] for label, _ in CPU_PARTS))
    return parts


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read_peak(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def peak_step(
    steps: list[dict[str, float]], *, limit_ms: float = PEAK_P95_MS
) -> dict[str, float] | None:
    """The step with the highest req/s among those whose p95 stayed under the limit and
    that had no failure; None when no step qualifies."""
    good = [s for s in steps if s["p95"] < limit_ms and s["failures"] == 0 and s["requests"]]
    return max(good, key=lambda s: s["rps"]) if good else None


def line(label: str, misses: list[str], checked: int) -> str:
    """One target: met, not met (with what misses it), or not measured."""
    if not checked:
        return f"- {label}: not measured (no such request ran)"
    if misses:
        return f"- {label}: **not met** ({', '.join(misses)})"
    return f"- {label}: met"


def errors_line(total: Row, locust_exit: int) -> str:
    """The "no errors" target: failed requests, or a Locust exit status that says so."""
    misses = [f"{total.failures:,} failed"] * bool(total.failures)
    misses += [f"Locust exited with status {locust_exit}"] * bool(locust_exit)
    return line("no errors", misses, total.count)


def verdicts(rows: list[Row], total: Row, *, locust_exit: int = 0) -> list[str]:
    """The issue's targets, each met or not, with the requests that miss it."""
    judged = [r for r in rows if r.name not in NOT_JUDGED and r.count]
    api = [r for r in judged if r.is_api]
    video = [r for r in judged if r.name in VIDEO]
    pages = [r for r in judged if not r.is_api and r.name not in VIDEO]
    return [
        line(
            f"API p95 under {API_P95_MS} ms",
            [f"{r.name} {r.p95:,.0f} ms" for r in api if r.p95 >= API_P95_MS],
            len(api),
        ),
        line(
            f"page p95 under {PAGE_P95_MS:,} ms (measured at the client)",
            [f"{r.name} {r.p95:,.0f} ms" for r in pages if r.p95 >= PAGE_P95_MS],
            len(pages),
        ),
        line(
            f"video start and seek P90 under {VIDEO_P90_MS:,} ms (time to first byte)",
            [f"{r.name} {r.p90:,.0f} ms" for r in video if r.p90 >= VIDEO_P90_MS],
            len(video),
        ),
        errors_line(total, locust_exit),
    ]


def quiz_verdicts(rows: list[Row], total: Row, *, locust_exit: int = 0) -> list[str]:
    """The quiz start's targets (bench/quiz.sh)."""
    lines = []
    for name in QUIZ_JUDGED:
        row = next((r for r in rows if r.name == name), None)
        if row is None or not row.count:
            lines.append(f"- {name} p95 under {QUIZ_P95_MS} ms: not measured (no such request ran)")
        elif row.p95 >= QUIZ_P95_MS:
            lines.append(f"- {name} p95 under {QUIZ_P95_MS} ms: **not met** ({row.p95:,.0f} ms)")
        else:
            lines.append(f"- {name} p95 under {QUIZ_P95_MS} ms: met ({row.p95:,.0f} ms)")
    return [*lines, errors_line(total, locust_exit)]


# Locust's failure rows differ by object addresses ("<HTTPConnection(...) at 0x7f92...>"):
# one row per failed connection. Grouped without them, at most this many kinds are listed.
MAX_FAILURES = 12
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def group_failures(failures: list[dict[str, str]]) -> list[tuple[tuple[str, str], int]]:
    """``((method and name, error), occurrences)``, most frequent first, with the object
    addresses taken out of the errors so that the same failure counts once."""
    counts: dict[tuple[str, str], int] = {}
    for failure in failures:
        key = (f"{failure['Method']} {failure['Name']}", _ADDRESS.sub("", failure["Error"]))
        counts[key] = counts.get(key, 0) + int(failure["Occurrences"])
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _ms(value: float) -> str:
    return f"{value:,.0f}"


def render(directory: Path) -> str:
    """The Markdown summary of the run in ``directory``."""
    rows, total = read_stats(directory / "locust_stats.csv")
    failures = read_failures(directory / "locust_failures.csv")
    meta: dict[str, Any] = {}
    if (directory / "meta.json").exists():
        meta = json.loads((directory / "meta.json").read_text())
    machine = meta.get("machine", {})
    quiz = meta.get("mode") == "quiz"
    title = "Quiz start" if quiz else "Benchmark"
    out = [f"## {title} {meta.get('stamp', directory.name)}: {meta.get('server', '?')} server"]
    out.append("")
    if machine:
        out.append(
            f"**Machine**: {machine.get('nproc', '?')} CPUs ({machine.get('cpu', '?')}), "
            f"{machine.get('memory_gb', '?')} GB RAM; Python {machine.get('python', '?')}, "
            f"{machine.get('postgresql', 'PostgreSQL ?')}, Locust {machine.get('locust', '?')} "
            f"on the same machine; code at commit `{machine.get('commit', '?')}`."
        )
    if quiz:
        think = meta.get("think_seconds", ["?", "?"])
        out.append(
            f"**Run**: {meta.get('users', '?')} learners start the same timed quiz (spawn rate "
            f"{meta.get('spawn_rate', '?')}/s), answer its questions with autosave "
            f"({think[0]} to {think[1]} s before each answer) "
            f"and submit once; server `{meta.get('server', '?')}` with "
            f"{meta.get('workers', '?')} workers x {meta.get('threads', '?')} threads; "
            f"{meta.get('started', '?')} to {meta.get('finished', '?')}."
        )
        out += ["", "```sh", str(meta.get("command", "")), "```"]
    elif meta:
        out.append(
            f"**Run**: {meta.get('mode', 'steady')} mode, "
            f"{'up to ' if meta.get('mode') == 'peak' else ''}{meta.get('users', '?')} users "
            f"(spawn rate {meta.get('spawn_rate', '?')}/s) for {meta.get('run_time', '?')}, "
            f"{meta.get('wait_min', '?')} to {meta.get('wait_max', '?')} s between actions; "
            f"data `syllabus demo --scale {meta.get('learners', '?')} --courses "
            f"{meta.get('courses', '?')}`; server `{meta.get('server', '?')}` with "
            f"{meta.get('workers', '?')} workers x {meta.get('threads', '?')} threads; "
            f"{meta.get('started', '?')} to {meta.get('finished', '?')}."
        )
        out += ["", "```sh", str(meta.get("command", "")), "```"]
    out += [
        "",
        "| request | method | count | failures | req/s | p50 | p90 | p95 | p99 | max |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in [*rows, total]:
        name = "**all**" if r is total else r.name
        out.append(
            f"| {name} | {r.method or ''} | {r.count:,} | {r.failures:,} | {r.rps:,.1f} | "
            f"{_ms(r.p50)} | {_ms(r.p90)} | {_ms(r.p95)} | {_ms(r.p99)} | {_ms(r.max)} |"
        )
    out += ["", "Times in milliseconds, measured by Locust (client side, loopback)."]
    out.append(
        f"**Total**: {total.count:,} requests, {total.rps:,.1f} per second, "
        f"{total.failures:,} failed."
    )
    status = meta.get("locust_exit")
    if status:
        # Locust also counts failures of requests still running when the run stops, which
        # its CSV files may miss: its exit status says so.
        out.append(f"**Locust exited with status {status}**: see its error report in locust.log.")
    if failures:
        grouped = group_failures(failures)
        out.append("")
        out.append("**Failures**:")
        out += [
            f"- {kind}: {error} ({count:,}x)" for (kind, error), count in grouped[:MAX_FAILURES]
        ]
        if len(grouped) > MAX_FAILURES:
            rest = sum(count for _, count in grouped[MAX_FAILURES:])
            out.append(
                f"- and {len(grouped) - MAX_FAILURES:,} other kinds ({rest:,}x): "
                "locust_failures.csv has them all"
            )
    resources = resource_summary(directory / "resources.csv")
    if resources:
        out += [
            "",
            f"**Server** ({resources['processes']:.0f} processes, {resources['samples']:.0f} "
            f"samples over {resources['seconds']:,.0f} s): CPU peak "
            f"{resources['cpu_peak']:,.0f} %, mean {resources['cpu_mean']:,.0f} % (100 % is "
            f"one core); memory (RSS) peak {resources['rss_peak']:,.0f} MB, mean "
            f"{resources['rss_mean']:,.0f} MB. Whole machine CPU mean "
            f"{resources['machine_cpu_mean']:,.0f} % of all cores.",
        ]
    cores = int(machine.get("nproc") or 0)
    split = (
        cpu_per_request(
            directory / "resources.csv",
            requests=total.count,
            cores=cores,
            window=(
                (meta["started"], meta["finished"])
                if "started" in meta and "finished" in meta
                else None
            ),
        )
        if cores
        else None
    )
    if split:
        shown = [label for label, _ in CPU_PARTS] + ["other"]
        out += [
            "",
            "**CPU per request** (CPU time while Locust ran divided by the requests served; "
            "`other` is the rest of the machine: the kernel's networking, other programs):",
            "",
            "| " + " | ".join(shown) + " | whole machine |",
            "|" + " ---: |" * (len(shown) + 1),
            "| " + " | ".join(f"{split[label]:.1f} ms" for label in shown) + " | "
            f"{split['machine']:.1f} ms |",
            "",
            f"At this cost the {cores} cores serve at most "
            f"{cores * 1000 / split['machine']:,.0f} requests per second"
            + (
                "."
                if quiz
                else f"; {TARGET_RPS:,.0f} per second (10,000 people acting every 30 s) "
                f"leaves {cores * 1000 / TARGET_RPS:.1f} ms per request."
            ),
        ]
    steps = read_peak(directory / "peak_steps.csv")
    if steps:
        out += [
            "",
            "**Peak steps** (each measured once its users ran):",
            "",
            "| users | seconds | requests | failures | req/s | p50 | p95 | p99 |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        out += [
            f"| {s['users']:,.0f} | {s['seconds']:,.0f} | {s['requests']:,.0f} | "
            f"{s['failures']:,.0f} | {s['rps']:,.1f} | {_ms(s['p50'])} | {_ms(s['p95'])} | "
            f"{_ms(s['p99'])} |"
            for s in steps
        ]
        best = peak_step(steps)
        out.append("")
        out.append(
            f"**Peak**: {best['rps']:,.1f} requests per second with p95 {_ms(best['p95'])} ms "
            f"(under {PEAK_P95_MS} ms) at {best['users']:,.0f} users."
            if best
            else f"**Peak**: no step kept p95 under {PEAK_P95_MS} ms without failures."
        )
    judge = quiz_verdicts if quiz else verdicts
    out += ["", "**Targets**:", *judge(rows, total, locust_exit=int(status or 0))]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="a run's folder under bench/results/")
    parser.add_argument("--append", type=Path, help="also add the summary to this file")
    args = parser.parse_args()
    if not (args.directory / "locust_stats.csv").exists():
        parser.error(f"{args.directory}: no locust_stats.csv (not a results folder?)")
    try:
        summary = render(args.directory)
    except (ValueError, KeyError) as error:
        sys.stderr.write(f"summarize: {error}\n")
        return 1
    (args.directory / "summary.md").write_text(summary)
    sys.stdout.write(summary)
    if args.append:
        with args.append.open("a") as handle:
            handle.write("\n" + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
