"""Quiz start (issue #5): learners start the same quiz together, answer 10 questions
with autosave (the attempt page's htmx requests) and submit, once each.

Set up first (writes var/bench/quiz/*.json; see bench/README.md):

    syllabus bench_quiz_setup --learners 500

then, against a server started with ``syllabus serve``:

    locust -f bench/quiz_locustfile.py --headless -u 500 -r 50 --run-time 3m \
        --host http://127.0.0.1:8000 --csv var/bench/quiz/result --only-summary

Request names in the report: "quiz page", "start", "attempt page", "autosave",
"submit", "result page". A refused autosave or submit counts as a failure.
"""

from __future__ import annotations

import json
import os
import random
import re
from itertools import count
from pathlib import Path

from locust import HttpUser, between, task
from locust.exception import StopUser

DATA = Path(os.environ.get("QUIZ_BENCH_DATA", "var/bench/quiz"))
QUIZ = json.loads((DATA / "quiz.json").read_text())
LEARNERS = json.loads((DATA / "learners.json").read_text())
_next = count()
ATTEMPT = re.compile(r"/quizzes/attempt/(att_[A-Za-z0-9]+)/")
# Seconds a learner thinks before each answer. Kept under gunicorn's 5-second keep-alive:
# a browser silently retries a request sent on a connection the server has just closed,
# Locust's client does not, so longer pauses would count that race as errors.
THINK_SECONDS = (
    float(os.environ.get("QUIZ_BENCH_THINK_MIN", "1")),
    float(os.environ.get("QUIZ_BENCH_THINK_MAX", "4")),
)


class Learner(HttpUser):
    """One learner, one attempt: then this simulated user stops."""

    wait_time = between(*THINK_SECONDS)

    def on_start(self) -> None:
        index = next(_next)
        if index >= len(LEARNERS["sessions"]):
            raise StopUser  # more simulated users than prepared learners
        self.client.cookies.set(LEARNERS["cookie"], LEARNERS["sessions"][index])

    def _csrf(self) -> dict[str, str]:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken") or "", "HX-Request": "true"}

    @task
    def take_the_quiz(self) -> None:
        quiz = QUIZ["quiz"]
        self.client.get(f"/quizzes/quiz/{quiz}/", name="quiz page")
        with self.client.post(
            f"/quizzes/quiz/{quiz}/start/",
            headers=self._csrf(),
            name="start",
            allow_redirects=False,
            catch_response=True,
        ) as started:
            match = ATTEMPT.search(started.headers.get("Location", ""))
            if started.status_code != 302 or not match:
                started.failure(f"no attempt: {started.status_code}")
                raise StopUser
        attempt = match.group(1)
        self.client.get(f"/quizzes/attempt/{attempt}/", name="attempt page")
        answers = QUIZ["answers"]
        for position, fields in enumerate(answers, start=1):
            self.wait_time_sleep()
            with self.client.post(
                f"/quizzes/attempt/{attempt}/answers/{position}/",
                data=fields,
                headers=self._csrf(),
                name="autosave",
                catch_response=True,
            ) as saved:
                if saved.status_code != 200 or "Saved at" not in saved.text:
                    saved.failure(f"autosave {saved.status_code}: {saved.text[:80]}")
        every = {key: value for fields in answers for key, value in fields.items()}
        with self.client.post(
            f"/quizzes/attempt/{attempt}/submit/",
            data={**every, "action": "submit"},
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken") or ""},
            name="submit",
            allow_redirects=False,
            catch_response=True,
        ) as submitted:
            if submitted.status_code != 302 or "/result/" not in submitted.headers.get(
                "Location", ""
            ):
                submitted.failure(f"submit {submitted.status_code}")
        self.client.get(f"/quizzes/attempt/{attempt}/result/", name="result page")
        raise StopUser

    def wait_time_sleep(self) -> None:
        self._sleep(random.uniform(*THINK_SECONDS))

    def _sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)
