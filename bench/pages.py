"""What each page of the benchmark costs the app server, in-process: CPU time and queries
of the benchmark's pages, requested through Django's test client with the server's
settings, interleaved round by round so that a machine's drift spreads over every page.

Locust measures the whole system (load generator, server, database, queueing); this
answers the narrower question "how much Python and how many round trips does one
request of this page cost", which is what a change to a view or a template moves. Run it
with the environment of the server (the bench's ``var/bench/state/env``, or any
production-mode settings) and the scenario data of ``bench/scenario_data.py``:

    python bench/pages.py --data var/bench/scenarios.json --rounds 30
    python bench/pages.py --data ... --pages lesson,dashboard --rounds 50
    python bench/pages.py --data ... --profile lesson        # cProfile, top functions

Each round requests every page once, as a different person or course when the data has
several. Reported per page: the median and the 90th percentile of the CPU time of the
process (``time.process_time``, so waiting on the database is not counted but the
driver's work is), the median wall time, and the number of queries. The first round
warms caches and is not counted. Pages that write (marking a lesson complete) are not in
the list: their cost is measured by Locust.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _nth(items: list[Any], n: int) -> Any:
    return items[n % len(items)]


def _fills(kind: str, person: dict[str, Any], data: dict[str, Any], n: int) -> dict[str, str]:
    """What round ``n`` puts in the URLs for this kind of person: a learner's course
    (one with lessons when they have any) and a lesson of it, a staff member's course,
    a visitor's catalog course and search word."""
    if kind == "learner":
        courses = [c for c in person["courses"] if c["lessons"]] or person["courses"]
        course = _nth(courses, n)
        lessons = course["lessons"]
        return {"course": course["course"], "lesson": _nth(lessons, n) if lessons else ""}
    if kind == "staff":
        return {"course": _nth(person["courses"], n)}
    catalog = data["catalog"]
    return {"course": _nth(catalog["courses"], n), "word": _nth(catalog["search"], n)}


# name -> (who, the URL with the round's values filled in from _fills)
PAGES: dict[str, tuple[str, str]] = {
    "dashboard": ("learner", "/dashboard/"),
    "course outline": ("learner", "/learn/course/{course}/"),
    "lesson": ("learner", "/learn/{lesson}/"),
    "my grades": ("learner", "/grades/"),
    "my course grades": ("learner", "/grades/course/{course}/"),
    "roster": ("staff", "/learn/course/{course}/roster/"),
    "gradebook": ("staff", "/grades/course/{course}/gradebook/"),
    "grading queue": ("staff", "/assignments/course/{course}/queue/"),
    "staff dashboard": ("staff", "/dashboard/"),
    "catalog": ("visitor", "/courses/"),
    "catalog search": ("visitor", "/courses/?q={word}"),
    "course page": ("visitor", "/courses/{course}/"),
    "home": ("visitor", "/"),
}


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.config.settings")
    import django

    django.setup()


class Bench:
    def __init__(self, data: dict[str, Any], people: int) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from syllabus.privacy.selectors import current_policy_ids, missing_consents
        from syllabus.privacy.services import consent_accept

        users = get_user_model().objects
        self.data = data
        self.clients: dict[str, list[tuple[Any, dict[str, Any]]]] = {"visitor": [(Client(), {})]}
        for kind, key in (("learner", "learners"), ("staff", "staff")):
            chosen = [p for p in data[key] if p["courses"]][:people]
            if not chosen:
                raise SystemExit(f"the scenario data has no {key} with courses")
            self.clients[kind] = []
            for person in chosen:
                user = users.get(email=person["email"])
                if missing_consents(user):  # what the Locust users do once signed in
                    consent_accept(user=user, document_ids=current_policy_ids())
                client = Client()
                client.force_login(user)
                self.clients[kind].append((client, person))
        for kind_clients in self.clients.values():
            for client, _person in kind_clients:
                # A client builds its handler (the middleware chain, WhiteNoise's file
                # index) on its first request: a server does that once, at start-up.
                client.get("/health/live")

    def url(self, page: str, n: int) -> tuple[Any, str]:
        kind, url = PAGES[page]
        client, person = _nth(self.clients[kind], n)
        return client, url.format(**_fills(kind, person, self.data, n))

    def request(self, page: str, n: int) -> tuple[float, float, int]:
        """One request: (CPU seconds, wall seconds, queries). Fails loudly on a non-200."""
        from django.db import connections

        client, url = self.url(page, n)
        counts = [0]

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counts[0] += 1
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(count):
            cpu, wall = time.process_time(), time.perf_counter()
            # Redirects are followed, as a browser does (the outline resumes at a lesson).
            response = client.get(url, follow=True, HTTP_X_FORWARDED_FOR=f"10.9.{n % 200}.1")
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        landed = response.redirect_chain[-1][0] if response.redirect_chain else url
        if response.status_code != 200 or "/privacy/" in landed or "/login/" in landed:
            raise SystemExit(f"{page}: {url} answered {response.status_code} at {landed}")
        return cpu, wall, counts[0]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(bench: Bench, pages: list[str], rounds: int) -> None:
    results: dict[str, list[tuple[float, float, int]]] = {page: [] for page in pages}
    for n in range(rounds + 1):
        for page in pages:
            sample = bench.request(page, n)
            if n:  # round 0 warms the caches
                results[page].append(sample)
        sys.stderr.write(f"\rround {n}/{rounds}")
        sys.stderr.flush()
    sys.stderr.write("\n")
    sys.stdout.write(f"{'page':<18} {'CPU p50':>9} {'CPU p90':>9} {'wall p50':>9} {'queries':>8}\n")
    for page, samples in results.items():
        cpu = [s[0] * 1000 for s in samples]
        wall = [s[1] * 1000 for s in samples]
        queries = statistics.median(s[2] for s in samples)
        sys.stdout.write(
            f"{page:<18} {statistics.median(cpu):>7.1f}ms {_percentile(cpu, 0.9):>7.1f}ms "
            f"{statistics.median(wall):>7.1f}ms {queries:>8g}\n"
        )


def profile(bench: Bench, page: str, rounds: int, top: int) -> None:
    for n in range(3):
        bench.request(page, n)
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(rounds):
        bench.request(page, n)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    sys.stdout.write(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="JSON of bench/scenario_data.py")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--people", type=int, default=20, help="learners and staff to use")
    parser.add_argument("--pages", help="comma-separated names (default: all)")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile this page instead")
    parser.add_argument("--top", type=int, default=40, help="functions shown by --profile")
    args = parser.parse_args()
    _setup_django()
    pages = args.pages.split(",") if args.pages else list(PAGES)
    unknown = sorted(set(pages + ([args.profile] if args.profile else [])) - set(PAGES))
    if unknown:
        parser.error(f"unknown pages {unknown}; known: {', '.join(PAGES)}")
    bench = Bench(json.loads(Path(args.data).read_text()), args.people)
    if args.profile:
        profile(bench, args.profile, args.rounds, args.top)
    else:
        measure(bench, pages, args.rounds)


if __name__ == "__main__":
    main()
