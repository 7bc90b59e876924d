"""GET/PUT /api/v1/auth/me/personal-details: a person reads and corrects their own details."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from syllabus.accounts.models import PersonalDetails
from syllabus.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/me/personal-details"


def put(client, body: dict) -> object:
    return client.put(URL, data=json.dumps(body), content_type="application/json")


def test_reading_details_never_given_returns_empty_values_and_stores_nothing(client, learner):
    client.force_login(learner)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "date_of_birth": None,
        "postal_address": "",
        "id_number": "",
        "accommodation_notes": "",
        "medical_notes": "",
        "updated_at": None,
    }
    assert not PersonalDetails.objects.exists()


def test_correcting_some_fields_changes_only_those_and_is_audited(client, learner):
    client.force_login(learner)
    first = put(client, {"date_of_birth": "2002-02-02", "medical_notes": "Asthma"})
    assert first.status_code == 200
    assert first.json()["date_of_birth"] == "2002-02-02"
    second = put(client, {"postal_address": "1 Main Street"})
    body = second.json()
    assert body["medical_notes"] == "Asthma" and body["postal_address"] == "1 Main Street"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT medical_notes FROM accounts_personaldetails WHERE user_id = %s", [learner.pk]
        )
        assert str(cursor.fetchone()[0]).startswith("fe1:")
    events = AuditEvent.objects.filter(action="personal_details.updated").order_by("pk")
    assert [e.details["fields"] for e in events] == [
        ["date_of_birth", "medical_notes"],
        ["postal_address"],
    ]
    cleared = put(client, {"medical_notes": None})
    assert cleared.json()["medical_notes"] == ""


@pytest.mark.parametrize(
    "body",
    [
        {"date_of_birth": "2999-01-01"},
        {"date_of_birth": "yesterday"},
        {"id_number": "x" * 65},
        {"medical_notes": 42},
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(client, learner, body):
    client.force_login(learner)
    response = put(client, body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert not PersonalDetails.objects.exists()
    assert not AuditEvent.objects.filter(action="personal_details.updated").exists()


def test_anonymous_requests_are_refused(client):
    assert client.get(URL).status_code == 401
    assert put(client, {"medical_notes": "x"}).status_code == 401
