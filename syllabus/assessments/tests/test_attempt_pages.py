"""Quiz pages: the lesson's quiz panel, the quiz page and history, taking an attempt
with htmx autosave (and finding every saved answer after a reload), submitting, the
result page, the staff's list (query budget), review and essay grading, and the
periodic expiry job."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from syllabus.assessments.models import Attempt, AttemptQuestion
from syllabus.assessments.services_attempts import save_answer, start_attempt, submit_attempt
from syllabus.assessments.tests.attempt_factories import (
    learner_in,
    make_quiz,
    right,
    staff_in,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quiz():
    return make_quiz(
        kinds=("single", "multiple", "numeric", "matching", "ordering", "essay"),
        time_limit_minutes=20,
        attempts_allowed=2,
    )


@pytest.fixture
def learner(quiz):
    return learner_in(quiz.course)


def test_the_lesson_page_shows_the_quiz_panel(quiz, learner):
    page = client_for(learner).get(reverse("learning:lesson", args=[quiz.lesson.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Start the quiz" in html and "20 minutes" in html and "2 allowed, 2 left" in html
    staff_page = client_for(staff_in(quiz.course)).get(
        reverse("learning:lesson", args=[quiz.lesson.public_id])
    )
    assert "preview the quiz but not attempt it" in staff_page.content.decode()
    assert "Learners' attempts" in staff_page.content.decode()


def test_the_panel_without_a_quiz_row_says_it_is_being_prepared(quiz, learner):
    quiz.delete()
    page = client_for(learner).get(reverse("learning:lesson", args=[quiz.lesson.public_id]))
    assert "being prepared" in page.content.decode()


def test_take_autosave_reload_and_submit(quiz, learner):
    client = client_for(learner)
    started = client.post(reverse("assessments:quiz_start", args=[quiz.public_id]))
    attempt = Attempt.objects.get()
    assert started.status_code == 302 and started["Location"].endswith(f"/{attempt.public_id}/")
    take = reverse("assessments:attempt_take", args=[attempt.public_id])
    page = client.get(take)
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="quiz-question"') == 6
    assert 'role="timer"' in html and 'hx-post="' in html

    def save(position, data):
        url = reverse("assessments:attempt_save", args=[attempt.public_id, position])
        return client.post(url, data, **HTMX)

    saved = save(1, {"a1": "oa"})
    assert saved.status_code == 200 and "Saved at" in saved.content.decode()
    assert save(2, {"a2": ["m1", "m2"]}).status_code == 200
    assert save(3, {"a3": "3.14"}).status_code == 200
    assert save(4, {"a4-p1": "p1", "a4-p2": "p2", "a4-p3": "p3"}).status_code == 200
    assert save(5, {"a5-i1": "1", "a5-i2": "2", "a5-i3": "3"}).status_code == 200
    assert save(6, {"a6": "An essay."}).status_code == 200

    # A reload (or a new browser) finds every saved answer in place.
    html = client.get(take).content.decode()
    assert 'value="oa" checked' in html
    assert 'value="m1" checked' in html and 'value="m2" checked' in html
    assert 'value="3.14"' in html and "An essay.</textarea>" in html
    assert '<option value="p2" selected>' in html
    assert '<option value="3" selected>' in html
    assert html.count("Saved at") == 6

    done = client.post(
        reverse("assessments:attempt_submit", args=[attempt.public_id]),
        {
            "action": "submit",
            "a1": "oa",
            "a2": ["m1", "m2"],
            "a3": "3.14",
            "a4-p1": "p1",
            "a4-p2": "p2",
            "a4-p3": "p3",
            "a5-i1": "1",
            "a5-i2": "2",
            "a5-i3": "3",
            "a6": "An essay.",
        },
    )
    assert done.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == Decimal("5.00")
    result = client.get(done["Location"]).content.decode()
    assert "Score so far: 5 of 6" in result and "wait for a grader" in result
    assert client.get(take).status_code == 302  # a submitted attempt goes to its result


def test_autosave_refuses_bad_input_with_a_message_and_writes_nothing(quiz, learner):
    attempt = start_attempt(user=learner, quiz=quiz)
    client = client_for(learner)
    for position, data, status in [
        (1, {"a1": "tampered"}, 422),
        (3, {"a3": "NaN"}, 422),
        (3, {"a3": "1e999"}, 422),
        (5, {"a5-i1": "x", "a5-i2": "1", "a5-i3": "2"}, 422),
        (9, {"a9": "x"}, 404),
    ]:
        url = reverse("assessments:attempt_save", args=[attempt.public_id, position])
        response = client.post(url, data, **HTMX)
        assert response.status_code == status, (position, response.content)
        assert "Not saved" in response.content.decode()
    assert not AttemptQuestion.objects.filter(saved_at__isnull=False).exists()


def test_an_ordering_still_being_given_is_not_saved_yet(quiz, learner):
    attempt = start_attempt(user=learner, quiz=quiz)
    client = client_for(learner)
    url = reverse("assessments:attempt_save", args=[attempt.public_id, 5])
    for data in ({"a5-i1": "1"}, {"a5-i1": "1", "a5-i2": "1", "a5-i3": "2"}):
        response = client.post(url, data, **HTMX)
        assert response.status_code == 200
        assert "Not saved yet: Give each item a different place, from 1 to 3." in (
            response.content.decode()
        )
    assert AttemptQuestion.objects.get(position=5).saved_at is None
    done = client.post(url, {"a5-i1": "2", "a5-i2": "1", "a5-i3": "3"}, **HTMX)
    assert "Saved at" in done.content.decode()
    assert AttemptQuestion.objects.get(position=5).response == {"order": ["i2", "i1", "i3"]}


def test_autosave_after_the_time_limit_is_refused(quiz, learner):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = start_attempt(user=learner, quiz=quiz)
    client = client_for(learner)
    url = reverse("assessments:attempt_save", args=[attempt.public_id, 1])
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        late = client.post(url, {"a1": "oa"}, **HTMX)
        assert late.status_code == 409 and 'data-state="time_over"' in late.content.decode()
        # Opening the page after the deadline submits what was saved.
        page = client.get(reverse("assessments:attempt_take", args=[attempt.public_id]))
    assert page.status_code == 302
    attempt.refresh_from_db()
    assert attempt.submitted_by_server and AttemptQuestion.objects.get(position=1).response is None


def test_save_only_and_errors_on_the_whole_form(quiz, learner):
    attempt = start_attempt(user=learner, quiz=quiz)
    client = client_for(learner)
    url = reverse("assessments:attempt_submit", args=[attempt.public_id])
    bad = client.post(url, {"action": "submit", "a1": "oa", "a3": "twelve"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'aria-describedby="err-3"' in html and 'href="#q3"' in html
    assert Attempt.objects.get().status == "in_progress"
    assert not AttemptQuestion.objects.filter(saved_at__isnull=False).exists()
    ok = client.post(url, {"action": "save", "a1": "oa", "a3": "2"})
    assert ok.status_code == 302 and ok["Location"].endswith(f"/attempt/{attempt.public_id}/")
    assert AttemptQuestion.objects.get(position=1).response == right("single")
    assert Attempt.objects.get().status == "in_progress"


@pytest.mark.parametrize("race", [False, True], ids=["after the deadline", "at the deadline"])
def test_saving_the_form_once_time_is_up_submits_what_was_saved(quiz, learner, race, monkeypatch):
    """Past the deadline a save is not taken and the attempt is closed with what was saved
    in time; also when the deadline passes between the page's check and the save."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt = start_attempt(user=learner, quiz=quiz)
        save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    if race:  # the view still sees time left; the save finds none
        monkeypatch.setattr("syllabus.assessments.views_attempts._remaining", lambda a: 30)
    client = client_for(learner)
    url = reverse("assessments:attempt_submit", args=[attempt.public_id])
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        late = client.post(url, {"action": "save", "a1": "ob", "a3": "2"}, follow=True)
    assert late.redirect_chain[0][0].endswith(f"/attempt/{attempt.public_id}/result/")
    assert "the answers saved in time were submitted" in late.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.submitted_by_server
    assert AttemptQuestion.objects.get(position=1).response == right("single")
    assert AttemptQuestion.objects.get(position=3).response is None


def test_quiz_page_lists_the_learners_attempts(quiz, learner):
    first = start_attempt(user=learner, quiz=quiz)
    submit_attempt(user=learner, attempt=first)
    client = client_for(learner)
    html = client.get(reverse("assessments:quiz_home", args=[quiz.public_id])).content.decode()
    assert "Your attempts" in html and "Start a new attempt" in html and "1 left" in html
    assert reverse("assessments:attempt_result", args=[first.public_id]) in html


def test_results_hidden_until_due(quiz, learner):
    quiz.results_visibility = "after_due"
    quiz.due_at = timezone.now() + timedelta(days=3)
    quiz.save()
    attempt = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=attempt, position=1, response=right("single"))
    submit_attempt(user=learner, attempt=attempt)
    html = (
        client_for(learner)
        .get(reverse("assessments:attempt_result", args=[attempt.public_id]))
        .content.decode()
    )
    assert "shown here after the due date" in html and "Points" not in html
    assert "Right answer" not in html


def test_staff_attempt_list_query_budget(quiz, django_assert_max_num_queries):
    staff = client_for(staff_in(quiz.course))
    url = reverse("assessments:quiz_attempt_list", args=[quiz.public_id])

    def attempts(n):
        for _ in range(n):
            user = learner_in(quiz.course)
            submit_attempt(user=user, attempt=start_attempt(user=user, quiz=quiz))

    attempts(3)
    staff.get(url)
    with django_assert_max_num_queries(30) as three:
        assert staff.get(url).status_code == 200
    attempts(27)
    with django_assert_max_num_queries(len(three.captured_queries)):
        page = staff.get(url)
    assert page.content.decode().count("<tr>") == 31


def test_staff_review_and_grade_an_essay(quiz, learner):
    attempt = start_attempt(user=learner, quiz=quiz)
    save_answer(user=learner, attempt=attempt, position=6, response={"text": "Essay"})
    submit_attempt(user=learner, attempt=attempt)
    grader = client_for(staff_in(quiz.course, role="teaching_assistant"))
    review = grader.get(reverse("assessments:attempt_review", args=[attempt.public_id]))
    assert review.status_code == 200 and 'name="a6-points"' in review.content.decode()
    url = reverse("assessments:attempt_grade", args=[attempt.public_id, 6])
    bad = grader.post(url, {"a6-points": "7", "a6-feedback": ""})
    assert bad.status_code == 422 and 'aria-describedby="a6-error"' in bad.content.decode()
    assert AttemptQuestion.objects.get(position=6).points_awarded is None
    good = grader.post(url, {"a6-points": "1", "a6-feedback": "Well argued."})
    assert good.status_code == 302
    attempt.refresh_from_db()
    assert not attempt.needs_grading and attempt.score == Decimal("1.00")
    result = client_for(learner).get(
        reverse("assessments:attempt_result", args=[attempt.public_id])
    )
    assert "Well argued." in result.content.decode()


def test_htmx_autosave_query_budget(quiz, learner, django_assert_max_num_queries):
    attempt = start_attempt(user=learner, quiz=quiz)
    client = client_for(learner)
    url = reverse("assessments:attempt_save", args=[attempt.public_id, 1])
    client.post(url, {"a1": "oa"}, **HTMX)
    with django_assert_max_num_queries(8):
        assert client.post(url, {"a1": "ob"}, **HTMX).status_code == 200


def test_the_expiry_job_runs_every_minute_and_closes_expired_attempts(quiz, learner):
    from syllabus.assessments.tasks import quiz_attempts_expire_task

    start = timezone.now() - timedelta(hours=1)
    attempt = start_attempt(user=learner, quiz=quiz, now=start)
    assert quiz_attempts_expire_task.call_local() == 1
    assert quiz_attempts_expire_task.call_local() == 0
    attempt.refresh_from_db()
    assert attempt.submitted_by_server
    validate = quiz_attempts_expire_task.task_class().validate_datetime
    assert validate(timezone.now().replace(minute=7))
