"""``syllabus bench_quiz_setup``: the data of the quiz start benchmark (bench/quiz.sh).
What it writes must be enough for bench/quiz_locustfile.py: a session per learner that
opens the quiz, and form fields that answer every question right."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from syllabus.accounts.models import User
from syllabus.assessments.models import Attempt, Quiz
from syllabus.assessments.services_attempts import submit_attempt
from syllabus.courses.models import Course, CourseMembership

pytestmark = pytest.mark.django_db


def setup(tmp_path, learners: int = 3) -> tuple[dict, dict]:
    out = io.StringIO()
    call_command(
        "bench_quiz_setup", "--learners", str(learners), "--out", str(tmp_path), stdout=out
    )
    assert f"{learners} learners" in out.getvalue()
    quiz = json.loads((tmp_path / "quiz.json").read_text())
    people = json.loads((tmp_path / "learners.json").read_text())
    return quiz, people


def test_it_writes_a_session_per_learner_and_the_right_answers(tmp_path):
    quiz, people = setup(tmp_path)
    assert quiz["questions"] == 10 and len(quiz["answers"]) == 10
    assert len(people["sessions"]) == 3
    assert Quiz.objects.get(public_id=quiz["quiz"]).time_limit_minutes == 30
    assert CourseMembership.objects.filter(course__slug="bench-quiz").count() == 3
    assert not any(
        user.has_usable_password()
        for user in User.objects.filter(email__endswith="@bench-quiz.example.org")
    )


def test_a_session_takes_the_quiz_and_its_answers_score_full_marks(tmp_path):
    quiz, people = setup(tmp_path)
    client = Client()
    client.cookies[people["cookie"]] = people["sessions"][0]
    assert client.get(f"/quizzes/quiz/{quiz['quiz']}/").status_code == 200
    started = client.post(f"/quizzes/quiz/{quiz['quiz']}/start/")
    found = re.search(r"/quizzes/attempt/(att_[A-Za-z0-9]+)/", started["Location"])
    assert found is not None, started["Location"]
    attempt_id = found.group(1)
    for position, fields in enumerate(quiz["answers"], start=1):
        saved = client.post(
            f"/quizzes/attempt/{attempt_id}/answers/{position}/", fields, HTTP_HX_REQUEST="true"
        )
        assert b"Saved at" in saved.content
    attempt = Attempt.objects.get(public_id=attempt_id)
    submit_attempt(user=attempt.user, attempt=attempt)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score) == (10, 10)


def test_running_it_again_replaces_the_course_and_the_learners(tmp_path):
    setup(tmp_path, learners=4)
    setup(tmp_path, learners=2)
    assert Course.objects.filter(slug="bench-quiz").count() == 1
    assert User.objects.filter(email__endswith="@bench-quiz.example.org").count() == 2


@pytest.mark.parametrize("learners", ["0", "20001"])
def test_it_refuses_a_number_of_learners_out_of_range(tmp_path, learners):
    with pytest.raises(CommandError, match="between 1 and 20000"):
        call_command("bench_quiz_setup", "--learners", learners, "--out", str(tmp_path))
