"""Quiz authoring pages: banks, the question form of each kind (rows without
JavaScript), preview, regrade banner, quiz settings, slots and accommodations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syllabus.assessments.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionBank,
    QuizSlot,
)
from syllabus.assessments.services_authoring import bank_create, question_update, slot_add
from syllabus.assessments.tests.authoring_helpers import (
    bank_with_questions,
    course_with_instructor,
    enrol,
    quiz_lesson,
    quiz_of,
)
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org", full_name="Ines Instructor")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def client(client, instructor):
    client.force_login(instructor)
    return client


def _rows(kind: str, rows: list[dict[str, str]], total: int | None = None) -> dict[str, str]:
    data = {
        "rows-TOTAL_FORMS": str(total if total is not None else len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "20",
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{n}-{key}"] = value
    return data


BASE = {"title": "Capital", "text": "Capital of **France**?", "points": "2", "tags": "geo, easy"}


def test_the_bank_list_creates_banks_and_shows_an_empty_state(client, course):
    url = reverse("assessments:bank_list", args=[course.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert "no question bank yet" in page.content.decode()
    response = client.post(url, {"name": "Geography", "description": ""})
    bank = QuestionBank.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:bank_detail", args=[bank.public_id])
    again = client.post(url, {"name": "geography"})
    assert again.status_code == 200 and "already has a bank" in again.content.decode()
    assert QuestionBank.objects.count() == 1


def test_a_single_choice_question_through_the_form(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:question_new", args=[bank.public_id, "single"])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('name="rows-') >= 4 * 3  # four blank rows: text, correct, remove
    assert 'for="id_rows-0-correct"' in body
    data = {
        **BASE,
        **_rows(
            "single",
            [
                {"text": "Paris", "correct": "on"},
                {"text": "Lyon"},
                {"text": ""},  # blank rows are ignored
            ],
        ),
    }
    response = client.post(url, data)
    question = Question.objects.get()
    assert response.status_code == 302
    assert question.kind == "single" and question.points == Decimal("2.00")
    assert [o["text"] for o in question.config["options"]] == ["Paris", "Lyon"]
    assert sorted(question.tags.values_list("name", flat=True)) == ["easy", "geo"]
    # Editing keeps each option's id; removing a row drops it.
    edit = reverse("assessments:question_edit", args=[question.public_id])
    ids = [o["id"] for o in question.config["options"]]
    data = {
        **BASE,
        **_rows(
            "single",
            [
                {"id": ids[0], "text": "Paris (France)", "correct": "on"},
                {"id": ids[1], "text": "Lyon", "DELETE": "on"},
                {"text": "Marseille"},
            ],
        ),
    }
    assert client.post(edit, data).status_code == 302
    question.refresh_from_db()
    assert question.config["options"][0]["id"] == ids[0]
    assert [o["text"] for o in question.config["options"]] == ["Paris (France)", "Marseille"]
    assert question.version == 2


def test_add_a_row_returns_the_form_with_one_more_row_and_saves_nothing(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:question_new", args=[bank.public_id, "multiple"])
    data = {
        **BASE,
        "partial_credit": "proportional",
        **_rows("multiple", [{"text": "A", "correct": "on"}, {"text": "B"}]),
        "add_row": "1",
    }
    page = client.post(url, data)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="rows-2-text"' in body and 'value="A"' in body
    assert not Question.objects.exists()


def test_a_bad_answer_key_comes_back_with_the_message(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:question_new", args=[bank.public_id, "single"])
    data = {**BASE, **_rows("single", [{"text": "Paris"}, {"text": "Lyon"}])}
    page = client.post(url, data)
    assert page.status_code == 200
    assert "Mark exactly one option as correct." in page.content.decode()
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("kind", "extra", "config"),
    [
        ("true_false", {"answer_bool": "false"}, {"answer": False}),
        (
            "short_text",
            {"accepted": "Paris\n\n paris city \n", "whitespace": "normalize"},
            {
                "accepted": ["Paris", "paris city"],
                "case_sensitive": False,
                "whitespace": "normalize",
            },
        ),
        (
            "numeric",
            {"answer_number": "3.140", "tolerance": "", "tolerance_kind": "absolute"},
            {"answer": "3.14", "tolerance": "0", "tolerance_kind": "absolute"},
        ),
        ("essay", {"guidance": "Argue."}, {"guidance": "Argue."}),
    ],
)
def test_questions_without_rows(client, course, kind, extra, config):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:question_new", args=[bank.public_id, kind])
    assert client.get(url).status_code == 200
    response = client.post(url, {**BASE, **extra})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Question.objects.get().config == config


def test_matching_and_ordering_rows(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:question_new", args=[bank.public_id, "matching"])
    rows = _rows(
        "matching", [{"text": "France", "match": "Paris"}, {"text": "Italy", "match": "Rome"}]
    )
    assert client.post(url, {**BASE, **rows}).status_code == 302
    pairs = Question.objects.get().config["pairs"]
    assert [(p["prompt"], p["match"]) for p in pairs] == [("France", "Paris"), ("Italy", "Rome")]
    url = reverse("assessments:question_new", args=[bank.public_id, "ordering"])
    rows = _rows(
        "ordering",
        [{"text": "Two", "ORDER": "2"}, {"text": "One", "ORDER": "1"}, {"text": "Three"}],
    )
    assert client.post(url, {**BASE, **rows}).status_code == 302
    items = Question.objects.get(kind="ordering").config["items"]
    assert [i["text"] for i in items] == ["One", "Two", "Three"]


def test_unknown_kinds_are_not_found(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    assert client.get(f"/quizzes/teach/banks/{bank.public_id}/new/drawing/").status_code == 404


def test_the_bank_page_filters_by_tag(client, course):
    bank, _ = bank_with_questions(course, tags=("hard",))
    question_update(
        actor=None, question=Question.objects.filter(kind="numeric").get(), changes={"tags": []}
    )
    url = reverse("assessments:bank_detail", args=[bank.public_id])
    body = client.get(url).content.decode()
    assert "single 1" in body and "numeric 2" in body
    body = client.get(url, {"tag": "hard"}).content.decode()
    assert "single 1" in body and "numeric 2" not in body


def test_the_preview_shows_the_question_as_learners_see_it(client, course):
    _, (single, _numeric) = bank_with_questions(course)
    body = client.get(reverse("assessments:question_preview", args=[single.public_id])).content
    text = body.decode()
    assert "Paris" in text and "Lyon" in text and "<fieldset disabled>" in text
    assert "Answer key" in text


def test_a_fixed_question_offers_a_regrade_of_older_attempts(client, course, instructor):
    _, (single, _numeric) = bank_with_questions(course)
    quiz = quiz_of(quiz_lesson(course, instructor))
    learner = UserFactory()
    attempt = Attempt.objects.create(
        quiz=quiz, user=learner, number=1, started_at=timezone.now(), status="submitted"
    )
    AttemptQuestion.objects.create(
        attempt=attempt,
        position=0,
        question=single,
        question_version=1,
        snapshot={"kind": "single", "options": single.config["options"]},
        points=single.points,
        response={"option": single.config["options"][1]["id"]},
        points_awarded=Decimal("0"),
    )
    edit = reverse("assessments:question_edit", args=[single.public_id])
    assert "Regrade them" not in client.get(edit).content.decode()
    question_update(actor=instructor, question=single, changes={"points": "3"})
    body = client.get(edit).content.decode()
    assert "1 attempt used an earlier version of this question." in body
    response = client.post(reverse("assessments:question_regrade", args=[single.public_id]))
    assert response.status_code == 302
    assert AttemptQuestion.objects.get().question_version == 2
    assert AuditEvent.objects.filter(action="quiz.regraded").exists()


def test_quiz_settings_page_saves_and_shows_errors_by_field(client, course, instructor):
    lesson = quiz_lesson(course, instructor)
    url = reverse("assessments:quiz_settings", args=[lesson.public_id])
    page = client.get(url)
    assert page.status_code == 200 and "Add at least one question" in page.content.decode()
    data = {
        "attempts_allowed": "2",
        "pass_percent": "60",
        "attempt_policy": "latest",
        "results_visibility": "immediately",
        "answers_visibility": "never",
        "opens_at": "2030-01-02T10:00",
        "closes_at": "2030-01-01T10:00",
    }
    page = client.post(url, data)
    body = page.content.decode()
    assert page.status_code == 200 and "must close after it opens" in body
    assert 'aria-invalid="true"' in body
    data["closes_at"] = "2030-01-09T10:00"
    assert client.post(url, data).status_code == 302
    quiz = quiz_of(lesson)
    assert (quiz.attempts_allowed, quiz.attempt_policy) == (2, "latest")


def test_the_slots_page_adds_moves_and_removes_lines(client, course, instructor):
    lesson = quiz_lesson(course, instructor)
    url = reverse("assessments:quiz_questions", args=[lesson.public_id])
    assert "Create a question bank" in client.get(url).content.decode()
    bank, (single, _numeric) = bank_with_questions(course)
    add = reverse("assessments:slot_add", args=[lesson.public_id])
    assert client.post(add, {"source": "fixed", "fixed-question": single.pk}).status_code == 302
    refused = client.post(add, {"source": "random", "random-count": "1"})
    assert refused.status_code == 422 and "Choose a bank or a tag" in refused.content.decode()
    response = client.post(add, {"source": "random", "random-count": "1", "random-bank": bank.pk})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "1 random question from bank “Bank”" in body
    first, second = QuizSlot.objects.order_by("position")
    client.post(reverse("assessments:slot_move", args=[second.pk]), {"direction": "up"})
    assert list(QuizSlot.objects.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    client.post(reverse("assessments:slot_remove", args=[first.pk]))
    assert list(QuizSlot.objects.values_list("pk", flat=True)) == [second.pk]


def test_the_lesson_and_course_pages_link_to_quiz_authoring(client, course, instructor):
    lesson = quiz_lesson(course, instructor)
    body = client.get(reverse("courses:lesson_edit", args=[lesson.public_id])).content.decode()
    assert reverse("assessments:quiz_questions", args=[lesson.public_id]) in body
    body = client.get(reverse("courses:outline", args=[course.public_id])).content.decode()
    assert reverse("assessments:bank_list", args=[course.public_id]) in body


def test_accommodations_page_lists_learners_and_saves_per_learner(client, course, instructor):
    lesson = quiz_lesson(course, instructor)
    learner = UserFactory(full_name="Lena Learner")
    enrol(course, learner)
    url = reverse("assessments:accommodations", args=[lesson.public_id])
    body = client.get(url).content.decode()
    assert "Lena Learner" in body and 'label class="visually-hidden"' in body
    save = reverse("assessments:accommodation_set", args=[lesson.public_id, learner.public_id])
    prefix = f"l{learner.pk}"
    bad = client.post(save, {f"{prefix}-extra_minutes": "-5", f"{prefix}-extra_attempts": "0"})
    assert bad.status_code == 422 and not Accommodation.objects.exists()
    ok = client.post(
        save,
        {
            f"{prefix}-extra_minutes": "15",
            f"{prefix}-extra_attempts": "1",
            f"{prefix}-note": "Plan",
        },
    )
    assert ok.status_code == 302
    assert Accommodation.objects.get().extra_minutes == 15
    stranger = UserFactory()
    other = reverse("assessments:accommodation_set", args=[lesson.public_id, stranger.public_id])
    assert client.post(other, {}).status_code == 404
    client.post(
        reverse("assessments:accommodation_remove", args=[lesson.public_id, learner.public_id])
    )
    assert not Accommodation.objects.exists()


def test_deleting_a_bank_asks_first(client, course):
    bank = bank_create(actor=None, course=course, name="Geo")
    url = reverse("assessments:bank_delete", args=[bank.public_id])
    assert "cannot be undone" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not QuestionBank.objects.exists()


def test_a_question_in_a_quiz_is_not_deleted(client, course, instructor):
    _, (single, _numeric) = bank_with_questions(course)
    slot_add(actor=instructor, quiz=quiz_of(quiz_lesson(course, instructor)), question=single)
    response = client.post(reverse("assessments:question_delete", args=[single.public_id]))
    assert response.status_code == 302
    assert Question.objects.filter(pk=single.pk).exists()


def _questions(bank: QuestionBank, count: int) -> None:
    for n in range(count):
        question = Question.objects.create(
            bank=bank,
            course=bank.course,
            kind="true_false",
            title=f"Q{n}",
            text="x",
            config={"answer": True},
        )
        question.tags.set(_tags(bank))


def _tags(bank: QuestionBank) -> list[Any]:
    from syllabus.assessments.models import QuestionTag

    return [QuestionTag.objects.get_or_create(course=bank.course, name="t")[0]]


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_pages_make_as_many_queries_for_3_rows_as_for_30(client, course, instructor):
    bank = bank_create(actor=None, course=course, name="Many")
    lesson = quiz_lesson(course, instructor)
    _questions(bank, 3)
    for _ in range(3):
        enrol(course, UserFactory())
    urls = [
        reverse("assessments:bank_detail", args=[bank.public_id]),
        reverse("assessments:bank_list", args=[course.public_id]),
        reverse("assessments:accommodations", args=[lesson.public_id]),
    ]
    for url in urls:
        client.get(url)  # warm the session and permission caches
    few = [_queries(client, url) for url in urls]
    _questions(bank, 27)
    for n in range(27):
        learner = UserFactory()
        enrol(course, learner)
        if n % 2:
            Accommodation.objects.create(quiz=quiz_of(lesson), user=learner, extra_minutes=5)
    for n in range(5):
        bank_create(actor=None, course=course, name=f"Bank {n}")
    many = [_queries(client, url) for url in urls]
    assert few == many
