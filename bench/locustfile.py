"""Syllabus under everyday load: Locust users that behave like the people who use it.

- Learners (most users): sign in, open the dashboard, a course's outline, its lessons,
  mark lessons complete, play a video lesson and seek in it, take a quiz (start, autosave
  each answer, submit, result), and look at their grades.
- Instructors and teaching assistants: the roster, the gradebook, the grading queue.
- Visitors (not signed in): the catalog, a search, a course's page.
- API clients: a token from ``POST /api/v1/auth/token``, then lists and reads.

Which people, courses, lessons and quizzes exist comes from the setup step (never
hard-coded): ``python bench/scenario_data.py`` writes var/bench/scenarios.json from the
server's database; ``BENCH_DATA`` points at another file. Each simulated user waits
``BENCH_WAIT_MIN`` to ``BENCH_WAIT_MAX`` seconds between actions (default 5 to 15; about
30 on average for a 10,000-user run: 15 and 45). See bench/README.md.

Every request checks its answer: a page must be a 200 that did not bounce to the sign-in
page, a form post must land where the browser would. Anything else is a failure, so
``locust --exit-code-on-error 1`` (make bench-smoke) fails on it.

The users are Locust's ``FastHttpUser`` (geventhttpclient), not ``HttpUser`` (requests):
the load generator runs on the server's machine in ``make bench``, and a request costs it
about a fifth of the CPU this way (bench/RESULTS.md), CPU that the server gets instead.
"""

from __future__ import annotations

import json
import os
import random
import re
from itertools import count
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, task
from locust.contrib.fasthttp import FastResponse

DATA = json.loads(Path(os.environ.get("BENCH_DATA", "var/bench/scenarios.json")).read_text())
WAIT = (float(os.environ.get("BENCH_WAIT_MIN", "5")), float(os.environ.get("BENCH_WAIT_MAX", "15")))
ATTEMPT = re.compile(r"/quizzes/attempt/(att_[0-9a-z]+)/")
CHOICE = re.compile(r'<input type="(?:radio|checkbox)" name="(a(\d+))"[^>]*value="([^"]*)"')
TEXT = re.compile(r'<input type="text" name="(a(\d+))"')
ESSAY = re.compile(r'<textarea name="(a(\d+))"')
SELECT = re.compile(r'<select name="(a(\d+)-[^"]+)"[^>]*>(.*?)</select>', re.DOTALL)
OPTION = re.compile(r'<option value="([^"]+)"')
_accounts = count()  # the next account for a new simulated user: spread over everyone
_addresses = count(1)


class Client(FastHttpUser):
    """A simulated person's browser or app: its own address, cookies and connections."""

    abstract = True
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        # Each simulated person comes from an address of their own, as people do: the
        # bench server trusts one proxy (SYLLABUS_TRUSTED_PROXY_COUNT=1, bench/lib.sh), so
        # the per-address limits (sign-in, API, allauth's) apply per person, not to all.
        n = next(_addresses)
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        self.client.client.default_headers["X-Forwarded-For"] = address

    def csrf(self) -> str:
        """The CSRF cookie's value, as a page's script reads it for its posts."""
        return next((c.value or "" for c in self.client.cookiejar if c.name == "csrftoken"), "")


def answers_from(page: str) -> dict[int, dict[str, Any]]:
    """Form fields answering every question of an attempt page, by position (the first
    option of each choice, a number in text boxes, the options in turn for the boxes of
    an ordering or matching question): what a hurried learner sends."""
    fields: dict[int, dict[str, Any]] = {}
    for name, position, value in CHOICE.findall(page):
        fields.setdefault(int(position), {}).setdefault(name, value)
    for name, position in TEXT.findall(page):
        fields.setdefault(int(position), {})[name] = "42"
    for name, position in ESSAY.findall(page):
        fields.setdefault(int(position), {})[name] = "My answer, written during a load test."
    for name, position, options in SELECT.findall(page):
        values = OPTION.findall(options)
        question = fields.setdefault(int(position), {})
        # Ordering and matching questions: a different option in each box (an ordering
        # answer must give each item its own place).
        question[name] = values[len(question) % len(values)] if values else ""
    return fields


def landed_on(response: FastResponse) -> str:
    """Where a followed redirect chain ended: the last Location of its history (the
    response's own URL is the one asked for), or "" when nothing redirected."""
    history = getattr(response, "history", None) or []
    return str(history[-1].headers.get("Location", "")) if history else ""


class Person(Client):
    """Shared by the signed-in users: sign in like a browser, check pages and posts."""

    abstract = True

    def page(self, url: str, name: str) -> Any:
        """GET a page: a 200 that stayed where it was asked (no bounce to sign-in)."""
        with self.client.get(url, name=name, catch_response=True) as response:
            landed = landed_on(response)
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif "/accounts/login/" in landed and "/accounts/login/" not in url:
                response.failure("sent to the sign-in page")
            elif "/privacy/consent/" in landed:
                response.failure("sent to accept the privacy policy")
            return response

    def sign_in(self, email: str) -> bool:
        self.client.get("/accounts/login/", name="sign-in page")
        with self.client.post(
            "/accounts/login/",
            name="sign in",
            data={"login": email, "password": DATA["password"], "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            target = response.headers.get("Location", "")
            if response.status_code != 302 or "/accounts/" in target:
                response.failure(f"not signed in ({response.status_code} to {target!r})")
                return False
        # Where the browser lands: a person who has not accepted the current privacy
        # policy and terms is sent to accept them first.
        with self.client.get(
            target, name="after sign-in", allow_redirects=False, catch_response=True
        ) as landing:
            consent = landing.headers.get("Location", "")
            if landing.status_code not in (200, 302):
                landing.failure(f"status {landing.status_code}")
                return False
        if consent.startswith("/privacy/consent/"):
            return self.accept_policies(consent)
        return True

    def accept_policies(self, url: str) -> bool:
        """A person who has not accepted the current privacy policy and terms is asked
        once, at sign-in: they tick the box, as people do (none are shown before one is
        published; load-test learners have accepted none)."""
        self.client.get(url, name="consent page")
        with self.client.post(
            url,
            name="consent accept",
            data={"accept": "on", "csrfmiddlewaretoken": self.csrf()},
            headers={"Referer": f"{self.host}{url}"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/privacy/" in response.headers.get("Location", ""):
                response.failure(f"not accepted ({response.status_code})")
                return False
        return True


class Learner(Person):
    weight = 70

    def on_start(self) -> None:
        super().on_start()
        learners = DATA["learners"]
        self.me = learners[next(_accounts) % len(learners)]
        self.signed_in = self.sign_in(self.me["email"])
        self.quizzes = [q for c in self.me["courses"] for q in c["quizzes"]]

    def enrolment(self) -> dict[str, Any]:
        return random.choice(self.me["courses"])  # type: ignore[no-any-return]

    @task(4)
    def dashboard(self) -> None:
        if self.signed_in:
            self.page("/dashboard/", "dashboard")

    @task(4)
    def course_outline(self) -> None:
        if self.signed_in:
            self.page(f"/learn/course/{self.enrolment()['course']}/", "course outline")

    @task(8)
    def study_a_lesson(self) -> None:
        lessons = self.enrolment()["lessons"]
        if not (self.signed_in and lessons):
            return
        lesson = random.choice(lessons)
        self.page(f"/learn/{lesson}/", "lesson")
        if random.random() < 0.4:  # finished reading: mark it complete (htmx)
            with self.client.post(
                f"/learn/{lesson}/complete/",
                name="mark complete",
                headers={"X-CSRFToken": self.csrf(), "HX-Request": "true"},
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")

    @task(2)
    def watch_a_video(self) -> None:
        """Open a video lesson and play its video, then seek: the player's Range requests.
        Timed to the first byte (headers in, body streamed), the seed's "video start"."""
        videos = self.enrolment().get("videos") or []
        if not (self.signed_in and videos):
            return
        lesson = random.choice(videos)
        self.page(f"/learn/{lesson}/", "lesson")
        url = f"/learn/{lesson}/media/video/"
        size = self._video_part(url, "video start", "bytes=0-")
        if size > 1:
            self._video_part(url, "video seek", f"bytes={random.randrange(size // 4, size)}-")

    def _video_part(self, url: str, name: str, ranged: str) -> int:
        """GET a byte range of the video: a 206 whose first bytes arrive; the file's size
        (from Content-Range), or 0 on a failure."""
        with self.client.get(
            url, name=name, headers={"Range": ranged}, stream=True, catch_response=True
        ) as response:
            total = response.headers.get("Content-Range", "").rpartition("/")[2]
            partial = response.status_code == 206
            first = (
                next(response.iter_content(16_384, decode_content=False), b"") if partial else b""
            )
            # A player reads on as it plays: the rest is not measured. Released unread,
            # the connection is closed rather than reused with the body still in it.
            response.release()
            if response.status_code != 206 or not first or not total.isdigit():
                response.failure(f"status {response.status_code}, {len(first)} bytes")
                return 0
            return int(total)

    @task(2)
    def grades(self) -> None:
        if not self.signed_in:
            return
        self.page("/grades/", "my grades")
        self.page(f"/grades/course/{self.enrolment()['course']}/", "my course grades")

    @task(1)
    def take_a_quiz(self) -> None:
        """Once per quiz: start, answer with autosave (the page's htmx posts), submit."""
        if not (self.signed_in and self.quizzes):
            return
        quiz = self.quizzes.pop()
        self.page(f"/quizzes/quiz/{quiz}/", "quiz page")
        with self.client.post(
            f"/quizzes/quiz/{quiz}/start/",
            name="quiz start",
            headers={"X-CSRFToken": self.csrf()},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            match = ATTEMPT.search(response.headers.get("Location", ""))
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")
                return
            if not match:
                # Refused with a message (another simulated user of the same account
                # used the last attempt): the learner's page, not an error.
                response.success()
                self.page(f"/quizzes/quiz/{quiz}/", "quiz page (no attempt left)")
                return
        attempt = match.group(1)
        page = self.page(f"/quizzes/attempt/{attempt}/", "attempt page")
        if "Submit the attempt" not in page.text:
            return  # already submitted by another simulated user of this account
        answers = answers_from(page.text)
        for position, fields in sorted(answers.items()):
            self._think()
            with self.client.post(
                f"/quizzes/attempt/{attempt}/answers/{position}/",
                name="quiz autosave",
                data=fields,
                headers={"X-CSRFToken": self.csrf(), "HX-Request": "true"},
                catch_response=True,
            ) as response:
                if response.status_code != 200 or "Saved at" not in response.text:
                    response.failure(f"not saved ({response.status_code})")
        every = {k: v for fields in answers.values() for k, v in fields.items()}
        with self.client.post(
            f"/quizzes/attempt/{attempt}/submit/",
            name="quiz submit",
            data={**every, "action": "submit"},
            headers={"X-CSRFToken": self.csrf()},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/result/" not in response.headers.get(
                "Location", ""
            ):
                response.failure(f"not submitted ({response.status_code})")
                return
        self.page(f"/quizzes/attempt/{attempt}/result/", "quiz result")

    def _think(self) -> None:
        """A short pause between answers (the quiz is one sitting, not one action)."""
        import gevent

        gevent.sleep(random.uniform(1, 4))


class Instructor(Person):
    """Teaching staff (instructors and teaching assistants) following their courses."""

    weight = 10

    def on_start(self) -> None:
        super().on_start()
        staff = DATA["staff"]
        self.me = staff[next(_accounts) % len(staff)]
        self.signed_in = self.sign_in(self.me["email"])

    def course(self) -> str:
        return random.choice(self.me["courses"])  # type: ignore[no-any-return]

    @task(3)
    def roster(self) -> None:
        if self.signed_in:
            self.page(f"/learn/course/{self.course()}/roster/", "roster")

    @task(3)
    def gradebook(self) -> None:
        if self.signed_in:
            self.page(f"/grades/course/{self.course()}/gradebook/", "gradebook")

    @task(2)
    def grading_queue(self) -> None:
        if self.signed_in:
            self.page(f"/assignments/course/{self.course()}/queue/", "grading queue")

    @task(1)
    def dashboard(self) -> None:
        if self.signed_in:
            self.page("/dashboard/", "dashboard")


class Visitor(Client):
    """Someone looking around before signing up: catalog, search, a course's page."""

    weight = 15

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")

    @task(3)
    def catalog(self) -> None:
        self._get("/courses/", "catalog")

    @task(2)
    def search(self) -> None:
        words = DATA["catalog"]["search"] or ["course"]
        self._get(f"/courses/?q={random.choice(words)}", "catalog search")

    @task(3)
    def course_page(self) -> None:
        self._get(f"/courses/{random.choice(DATA['catalog']['courses'])}/", "course page")

    @task(1)
    def home(self) -> None:
        self._get("/", "home")


class ApiClient(Client):
    """An integration (a school's SIS, a mobile app): a bearer token, lists and reads."""

    weight = 5

    def on_start(self) -> None:
        super().on_start()
        learners = DATA["learners"]
        me = learners[next(_accounts) % len(learners)]
        self.headers: dict[str, str] = {}
        with self.client.post(
            "/api/v1/auth/token",
            name="api token",
            json={"email": me["email"], "password": DATA["password"]},
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "token" not in response.text:
                response.failure(f"no token ({response.status_code})")
                return
            self.headers = {"Authorization": f"Bearer {response.json()['token']}"}
        self.accept_policies()

    def accept_policies(self) -> None:
        """Accept the current privacy policy and terms, as an app asks its user to once
        (the API answers 403 consent_required until then)."""
        policies = self.client.get("/api/v1/privacy/policies", name="api policies")
        ids = [p["id"] for p in policies.json()] if policies.status_code == 200 else []
        if not (self.headers and ids):
            return
        with self.client.post(
            "/api/v1/privacy/consents",
            name="api consent",
            json={"document_ids": ids},
            headers=self.headers,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"not accepted ({response.status_code})")

    def _get(self, url: str, name: str) -> None:
        if not self.headers:
            return
        with self.client.get(url, name=name, headers=self.headers, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")

    @task(3)
    def catalog(self) -> None:
        self._get("/api/v1/catalog", "api catalog")

    @task(3)
    def catalog_course(self) -> None:
        course = random.choice(DATA["catalog"]["courses"])
        self._get(f"/api/v1/catalog/{course}", "api catalog course")

    @task(2)
    def my_courses(self) -> None:
        self._get("/api/v1/me/courses", "api my courses")

    @task(1)
    def me(self) -> None:
        self._get("/api/v1/auth/me", "api me")
