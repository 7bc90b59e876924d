"""Quiz authoring API: banks, questions, tags, quiz settings, slots, accommodations;
errors are {"detail", "code"} and write nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from syllabus.accounts.tokens import token_create
from syllabus.assessments.models import Accommodation, Question, QuestionBank, QuizSlot
from syllabus.assessments.tests.authoring_helpers import (
    CONFIGS,
    bank_with_questions,
    course_with_instructor,
    enrol,
    quiz_lesson,
    quiz_of,
)
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def instructor():
    return UserFactory(email="ines@example.org")


@pytest.fixture
def course(instructor):
    return course_with_instructor(instructor)


@pytest.fixture
def client(client, instructor):
    client.force_login(instructor)
    return client


def send(client: Any, method: str, path: str, body: Any = None) -> Any:
    return getattr(client, method)(
        f"{V1}{path}", data=json.dumps(body or {}), content_type="application/json"
    )


def test_banks_crud(client, course):
    created = send(client, "post", f"/courses/{course.public_id}/question-banks", {"name": "Geo"})
    assert created.status_code == 201
    bank = created.json()
    assert bank["name"] == "Geo" and bank["questions"] == 0
    listed = client.get(f"{V1}/courses/{course.public_id}/question-banks").json()
    assert [b["public_id"] for b in listed] == [bank["public_id"]]
    patched = send(client, "patch", f"/question-banks/{bank['public_id']}", {"name": "Geography"})
    assert patched.json()["name"] == "Geography"
    assert send(client, "delete", f"/question-banks/{bank['public_id']}").status_code == 204
    assert not QuestionBank.objects.exists()


def test_duplicate_bank_names_are_422_and_write_nothing(client, course):
    send(client, "post", f"/courses/{course.public_id}/question-banks", {"name": "Geo"})
    events = AuditEvent.objects.count()
    response = send(client, "post", f"/courses/{course.public_id}/question-banks", {"name": "GEO"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and "already has" in response.json()["detail"]
    assert QuestionBank.objects.count() == 1 and AuditEvent.objects.count() == events


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_questions_of_every_kind(client, course, kind):
    bank, _ = bank_with_questions(course, kinds=())
    response = send(
        client,
        "post",
        f"/question-banks/{bank.public_id}/questions",
        {
            "kind": kind,
            "title": "Q",
            "text": "Why?",
            "config": CONFIGS[kind],
            "points": "1.5",
            "tags": ["t"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == kind and body["version"] == 1 and body["tags"] == ["t"]
    assert body["points"] in ("1.50", 1.5, "1.5")
    got = client.get(f"{V1}/questions/{body['public_id']}").json()
    assert got["config"] == Question.objects.get().config


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "single", "title": "Q", "text": "Q?", "config": {"options": []}},
        {"kind": "numeric", "title": "Q", "text": "Q?", "config": {"answer": "NaN"}},
        {"kind": "true_false", "title": "Q", "text": "Q?", "config": {"answer": 1}},
        {"kind": "true_false", "title": "Q", "text": "Q?", "config": {"answer": True}, "points": 0},
        {
            "kind": "true_false",
            "title": "Q",
            "text": "Q?",
            "config": {"answer": True},
            "points": "1e9",
        },
        {"kind": "drawing", "title": "Q", "text": "Q?", "config": {}},
        {"kind": "essay", "title": "", "text": "Q?", "config": {}},
        {"kind": "essay", "title": "Q", "text": "Q?", "config": []},
    ],
)
def test_bad_questions_are_422_and_write_nothing(client, course, payload):
    bank, _ = bank_with_questions(course, kinds=())
    response = send(client, "post", f"/question-banks/{bank.public_id}/questions", payload)
    assert response.status_code == 422
    assert set(response.json()) >= {"detail", "code"}
    assert not Question.objects.exists()


def test_questions_patch_delete_and_tag_filter(client, course):
    bank, (single, numeric) = bank_with_questions(course, tags=("a",))
    patched = send(client, "patch", f"/questions/{numeric.public_id}", {"tags": ["b"], "points": 2})
    assert patched.status_code == 200
    assert patched.json()["version"] == 2 and patched.json()["tags"] == ["b"]
    listed = client.get(f"{V1}/question-banks/{bank.public_id}/questions", {"tag": "a"}).json()
    assert [q["public_id"] for q in listed] == [single.public_id]
    tags = client.get(f"{V1}/courses/{course.public_id}/question-tags").json()
    assert tags == [{"name": "a", "questions": 1}, {"name": "b", "questions": 1}]
    deleted = send(client, "delete", f"/questions/{single.public_id}")
    assert deleted.json() == {"archived": False}


def test_quiz_settings_slots_and_order(client, course, instructor):
    quiz = quiz_of(quiz_lesson(course, instructor))
    bank, (single, _numeric) = bank_with_questions(course)
    quizzes = client.get(f"{V1}/courses/{course.public_id}/quizzes").json()
    assert quizzes == [
        {
            "public_id": quiz.public_id,
            "lesson": quiz.lesson.public_id,
            "title": "Check-up",
            "is_published": False,
        }
    ]
    path = f"/quizzes/{quiz.public_id}"
    got = client.get(f"{V1}{path}/settings").json()
    assert got["problems"] == ["Add at least one question to the quiz."]
    bad = send(client, "patch", f"{path}/settings", {"pass_percent": 120})
    assert bad.status_code == 422
    ok = send(client, "patch", f"{path}/settings", {"time_limit_minutes": 15, "due_at": None})
    assert ok.status_code == 200 and ok.json()["time_limit_minutes"] == 15
    cleared = send(client, "patch", f"{path}/settings", {"time_limit_minutes": None})
    assert cleared.json()["time_limit_minutes"] is None
    send(client, "post", f"{path}/slots", {"question": single.public_id})
    added = send(client, "post", f"{path}/slots", {"bank": bank.public_id, "count": 1})
    assert added.status_code == 201
    slots = added.json()["slots"]
    assert [s["question"] for s in slots] == [single.public_id, None]
    assert added.json()["problems"] == []
    unknown = send(client, "post", f"{path}/slots", {"tag": "nope"})
    assert unknown.status_code == 422
    reordered = send(
        client, "put", f"{path}/slots/order", {"order": [slots[1]["id"], slots[0]["id"]]}
    )
    assert [s["id"] for s in reordered.json()["slots"]] == [slots[1]["id"], slots[0]["id"]]
    assert send(client, "put", f"{path}/slots/order", {"order": [1]}).status_code == 422
    changed = send(client, "patch", f"{path}/slots/{slots[1]['id']}", {"count": 5})
    assert changed.status_code == 200 and "has only 1 question" in changed.json()["problems"][0]
    assert send(client, "delete", f"{path}/slots/{slots[0]['id']}").status_code == 200
    assert QuizSlot.objects.count() == 1
    assert send(client, "delete", f"{path}/slots/999999").status_code == 404


def test_accommodations(client, course, instructor):
    quiz = quiz_of(quiz_lesson(course, instructor))
    learner, stranger = UserFactory(), UserFactory()
    enrol(course, learner)
    path = f"/quizzes/{quiz.public_id}/accommodations"
    put = send(client, "put", f"{path}/{learner.public_id}", {"extra_minutes": 10})
    assert put.status_code == 200 and put.json()["extra_minutes"] == 10
    assert len(client.get(f"{V1}{path}").json()) == 1
    refused = send(client, "put", f"{path}/{learner.public_id}", {"extra_minutes": -1})
    assert refused.status_code == 422
    assert (
        send(client, "put", f"{path}/{stranger.public_id}", {"extra_minutes": 5}).status_code == 404
    )
    assert send(client, "delete", f"{path}/{learner.public_id}").status_code == 204
    assert send(client, "delete", f"{path}/{learner.public_id}").status_code == 404
    assert not Accommodation.objects.exists()


def test_other_people_are_refused_and_drafts_stay_hidden(client, course, instructor):
    bank, _ = bank_with_questions(course)
    learner = UserFactory()
    enrol(course, learner)
    client.force_login(learner)
    response = client.get(f"{V1}/question-banks/{bank.public_id}")
    # The draft course is invisible to its learner before publishing: 404, not 403.
    assert response.status_code in (403, 404)
    outsider = UserFactory()
    client.force_login(outsider)
    assert client.get(f"{V1}/question-banks/{bank.public_id}").status_code == 404


def test_a_token_needs_the_course_edit_scope(course, instructor, client):
    bank, _ = bank_with_questions(course)
    client.logout()
    narrow = token_create(actor=instructor, user=instructor, name="n", scopes=[], days=1).plain
    wide = token_create(
        actor=instructor, user=instructor, name="w", scopes=["course.edit"], days=1
    ).plain
    url = f"{V1}/question-banks/{bank.public_id}"
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {narrow}").status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {wide}").status_code == 200


def test_regrade_brings_older_attempts_to_the_current_version(client, course, instructor):
    from django.utils import timezone

    from syllabus.assessments.models import Attempt, AttemptQuestion

    _, (single, _numeric) = bank_with_questions(course)
    quiz = quiz_of(quiz_lesson(course, instructor))
    attempt = Attempt.objects.create(
        quiz=quiz, user=UserFactory(), number=1, started_at=timezone.now(), status="submitted"
    )
    wrong = single.config["options"][1]["id"]
    AttemptQuestion.objects.create(
        attempt=attempt,
        position=0,
        question=single,
        question_version=1,
        snapshot={"kind": "single", "options": single.config["options"]},
        points=single.points,
        response={"option": wrong},
        points_awarded=0,
    )
    # The author finds the key wrong: the second option is the right one.
    config = {"options": [{**o, "correct": o["id"] == wrong} for o in single.config["options"]]}
    patched = send(client, "patch", f"/questions/{single.public_id}", {"config": config})
    assert patched.json()["attempts_behind"] == 1
    regraded = send(client, "post", f"/questions/{single.public_id}/regrade")
    assert regraded.status_code == 200 and regraded.json() == {"attempts": 1}
    row = AttemptQuestion.objects.get()
    assert row.question_version == 2 and row.points_awarded == single.points
    assert client.get(f"{V1}/questions/{single.public_id}").json()["attempts_behind"] == 0


def test_teaching_assistants_cannot_author(client, course):
    from syllabus.accounts.models import Role
    from syllabus.courses.models import CourseMembership

    bank, _ = bank_with_questions(course)
    assistant = UserFactory()
    CourseMembership.objects.create(
        course=course, user=assistant, role=Role.objects.get(slug="teaching_assistant")
    )
    client.force_login(assistant)
    payload = {"kind": "true_false", "title": "T", "text": "T?", "config": {"answer": True}}
    response = send(client, "post", f"/question-banks/{bank.public_id}/questions", payload)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert Question.objects.count() == 2
    assert client.get(f"{V1}/question-banks/{bank.public_id}").status_code == 403
    page = client.get(f"/quizzes/teach/banks/{bank.public_id}/")
    assert page.status_code == 403
