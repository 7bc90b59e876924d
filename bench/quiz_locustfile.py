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
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_RUNNING

DATA = Path(os.environ.get("QUIZ_BENCH_DATA", "var/bench/quiz"))
QUIZ = json.loads((DATA / "quiz.json").read_text())
LEARNERS = json.loads((DATA / "learners.json").read_text())
_next = count()
ATTEMPT = re.compile(r"/quizzes/attempt/(att_[A-Za-z0-9]+)/")
# Seconds a learner thinks before each answer: reading a question and choosing takes tens
# of seconds, so 10 to 30 (a 10-question quiz in about 3 to 4 minutes). The stress variant
# QUIZ_BENCH_THINK_MIN=1 QUIZ_BENCH_THINK_MAX=4 answers as fast as a script; bench/RESULTS.md
# has both. Should the server close a kept connection just as an answer is sent on it,
# _post resends it once, as a browser would.
THINK_SECONDS = (
    float(os.environ.get("QUIZ_BENCH_THINK_MIN", "10")),
    float(os.environ.get("QUIZ_BENCH_THINK_MAX", "30")),
)


@events.test_start.add_listener
def _quit_when_everyone_is_done(environment: Environment, **_kwargs: Any) -> None:
    """Each learner takes the quiz once and stops: once every learner has been spawned
    and has stopped, the run is over (Locust would otherwise idle until --run-time)."""
    runner = environment.runner

    def watch() -> None:
        while True:
            gevent.sleep(1)
            if runner is not None and runner.state == STATE_RUNNING and runner.user_count == 0:
                runner.quit()
                return

    gevent.spawn(watch)


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

    def _post(self, url: str, name: str, check: Any, **kwargs: Any) -> Any:
        """POST, and like a browser send it again once when the connection was dropped
        before any response (a kept-alive connection the server had just closed): the
        drop is reported under "<name> (connection dropped, retried)", so it stays
        visible; every quiz write is safe to repeat (start resumes, autosave overwrites,
        submit is idempotent)."""
        for attempt in (1, 2):
            with self.client.post(url, name=name, catch_response=True, **kwargs) as response:
                if response.status_code == 0 and attempt == 1:
                    response.success()  # not this name's failure: reported below
                    self.environment.events.request.fire(
                        request_type="POST",
                        name=f"{name} (connection dropped, retried)",
                        response_time=response.request_meta["response_time"]
                        if hasattr(response, "request_meta")
                        else 0,
                        response_length=0,
                        exception=response.error,
                        context={},
                    )
                    continue
                problem = check(response)
                if problem:
                    response.failure(f"{problem} ({response.status_code} {response.error or ''})")
                return response
        return None

    @task
    def take_the_quiz(self) -> None:
        quiz = QUIZ["quiz"]
        self.client.get(f"/quizzes/quiz/{quiz}/", name="quiz page")
        started = self._post(
            f"/quizzes/quiz/{quiz}/start/",
            "start",
            lambda r: (
                ""
                if r.status_code == 302 and ATTEMPT.search(r.headers.get("Location", ""))
                else "no attempt"
            ),
            headers=self._csrf(),
            allow_redirects=False,
        )
        match = ATTEMPT.search(started.headers.get("Location", "")) if started else None
        if not match:
            raise StopUser
        attempt = match.group(1)
        self.client.get(f"/quizzes/attempt/{attempt}/", name="attempt page")
        answers = QUIZ["answers"]
        for position, fields in enumerate(answers, start=1):
            self.wait_time_sleep()
            self._post(
                f"/quizzes/attempt/{attempt}/answers/{position}/",
                "autosave",
                lambda r: "" if r.status_code == 200 and "Saved at" in r.text else "not saved",
                data=fields,
                headers=self._csrf(),
            )
        every = {key: value for fields in answers for key, value in fields.items()}
        self._post(
            f"/quizzes/attempt/{attempt}/submit/",
            "submit",
            lambda r: (
                ""
                if r.status_code == 302 and "/result/" in r.headers.get("Location", "")
                else "not submitted"
            ),
            data={**every, "action": "submit"},
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken") or ""},
            allow_redirects=False,
        )
        self.client.get(f"/quizzes/attempt/{attempt}/result/", name="result page")
        raise StopUser

    def wait_time_sleep(self) -> None:
        self._sleep(random.uniform(*THINK_SECONDS))

    def _sleep(self, seconds: float) -> None:
        gevent.sleep(seconds)
