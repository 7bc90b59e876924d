"""Personal details: encrypted, edited by the person (rectification), seen by user managers
(audited), found by exact id number."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from syllabus.accounts.models import PersonalDetails
from syllabus.accounts.profile import personal_details_update
from syllabus.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "form": "details",
    "date_of_birth": "2003-05-17",
    "postal_address": "4 Privet Drive\nLittle Whinging",
    "id_number": "STU-2024-0042",
    "accommodation_notes": "Extra time on quizzes",
    "medical_notes": "Asthma: inhaler in bag",
}


def stored_row(user_id: int) -> tuple[object, ...]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_of_birth, postal_address, id_number, accommodation_notes, "
            "medical_notes FROM accounts_personaldetails WHERE user_id = %s",
            [user_id],
        )
        return tuple(cursor.fetchone())


def test_the_account_address_leads_to_the_profile(client, learner):
    client.force_login(learner)
    page = client.get("/account/")
    assert page.status_code == 302
    assert page["Location"] == "/account/profile/"
    client.logout()
    # Signed out, the profile itself sends people to sign in first.
    assert client.get("/account/profile/")["Location"].startswith("/accounts/login/")


def test_a_user_sees_an_empty_form_for_their_details(client, learner):
    client.force_login(learner)
    page = client.get("/account/profile/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_date_of_birth">Date of birth' in html
    assert 'name="form" value="details"' in html
    assert not PersonalDetails.objects.exists()  # nothing stored by looking


def test_a_user_saves_their_details_encrypted_and_audited(client, learner):
    client.force_login(learner)
    response = client.post("/account/profile/", VALID)
    assert response.status_code == 302
    details = PersonalDetails.objects.get(user=learner)
    assert details.date_of_birth == datetime.date(2003, 5, 17)
    assert details.medical_notes == "Asthma: inhaler in bag"
    assert all(str(value).startswith("fe1:") for value in stored_row(learner.pk))
    event = AuditEvent.objects.get(action="personal_details.updated")
    assert event.details == {
        "fields": [
            "accommodation_notes",
            "date_of_birth",
            "id_number",
            "medical_notes",
            "postal_address",
        ]
    }
    assert "Asthma" not in str(event.details) and "STU" not in str(event.details)
    page = client.get("/account/profile/").content.decode()
    assert "STU-2024-0042" in page and "2003-05-17" in page  # shown back to its owner


def test_rectifying_one_field_records_only_that_field(client, learner):
    client.force_login(learner)
    client.post("/account/profile/", VALID)
    client.post("/account/profile/", {**VALID, "postal_address": "12 Grimmauld Place"})
    last = AuditEvent.objects.filter(action="personal_details.updated").order_by("-pk")[0]
    assert last.details == {"fields": ["postal_address"]}
    assert PersonalDetails.objects.get(user=learner).postal_address == "12 Grimmauld Place"
    client.post("/account/profile/", {**VALID, "postal_address": "12 Grimmauld Place"})
    assert AuditEvent.objects.filter(action="personal_details.updated").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "between 1900 and today"),
        ("date_of_birth", "1850-01-01", "between 1900 and today"),
        ("date_of_birth", "not a date", "Enter a valid date"),
        ("id_number", "x" * 65, "at most 64 characters"),
        ("medical_notes", "x" * 2001, "at most 2000 characters"),
    ],
)
def test_bad_details_get_a_400_beside_the_field_and_nothing_is_written(
    client, learner, field, value, message
):
    client.force_login(learner)
    response = client.post("/account/profile/", {**VALID, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'aria-describedby="id_{field}_' in html or f"id_{field}_error" in html
    assert not PersonalDetails.objects.exists()
    assert not AuditEvent.objects.filter(action="personal_details.updated").exists()


def test_an_unknown_form_is_a_400(client, learner):
    client.force_login(learner)
    assert client.post("/account/profile/", {"form": "other"}).status_code == 400


def test_nobody_changes_someone_elses_details(learner, admin_user):
    with pytest.raises(PermissionDenied):
        personal_details_update(actor=admin_user, user=learner, values={"medical_notes": "x"})
    assert not PersonalDetails.objects.exists()


def test_a_user_manager_opens_details_on_the_person_page_and_it_is_audited(client, learner):
    officer = UserFactory(site_roles=["security_officer"])
    personal_details_update(
        actor=learner, user=learner, values={"medical_notes": "Epilepsy", "id_number": "A1"}
    )
    client.force_login(officer)
    page = client.get(f"/account/people/{learner.public_id}/").content.decode()
    assert "Show personal details" in page and "Epilepsy" not in page
    assert not AuditEvent.objects.filter(action="personal_details.viewed").exists()

    shown = client.get(f"/account/people/{learner.public_id}/?show=details")
    assert shown.status_code == 200
    assert "Epilepsy" in shown.content.decode()
    event = AuditEvent.objects.get(action="personal_details.viewed")
    assert event.actor == officer
    assert event.target_id == str(learner.pk) or learner.public_id in event.target_label + str(
        event.target_id
    )


def test_someone_without_details_shows_an_empty_state_and_nothing_is_audited(client, learner):
    officer = UserFactory(site_roles=["security_officer"])
    client.force_login(officer)
    page = client.get(f"/account/people/{learner.public_id}/?show=details").content.decode()
    assert "has not given any personal details" in page
    assert not AuditEvent.objects.filter(action="personal_details.viewed").exists()


def test_people_without_user_manage_never_see_details(client, learner):
    personal_details_update(actor=learner, user=learner, values={"medical_notes": "Epilepsy"})
    manager = UserFactory(site_roles=["manager"])
    client.force_login(manager)
    response = client.get(f"/account/people/{learner.public_id}/?show=details")
    assert response.status_code == 403
    assert b"Epilepsy" not in response.content
    assert not AuditEvent.objects.filter(action="personal_details.viewed").exists()


def test_user_managers_find_someone_by_exact_id_number(client, learner, outsider):
    personal_details_update(actor=learner, user=learner, values={"id_number": "STU-2024-0042"})
    personal_details_update(actor=outsider, user=outsider, values={"id_number": "STU-2024-0043"})
    officer = UserFactory(site_roles=["security_officer"])
    client.force_login(officer)
    page = client.get("/account/people/", {"q": "stu 2024 0042"}).content.decode()
    assert "Search by name, email or id number" in page
    assert learner.email in page and outsider.email not in page
    partial = client.get("/account/people/", {"q": "STU-2024"}).content.decode()
    assert learner.email not in partial  # exact value only: the index reveals no prefix


def test_a_data_export_carries_the_details_in_clear_and_erasure_removes_them(learner):
    import io
    import zipfile

    from syllabus.privacy.exports import build_zip
    from syllabus.privacy.services import erase_subject

    personal_details_update(
        actor=learner, user=learner, values={"medical_notes": "Epilepsy", "id_number": "A1"}
    )
    learner.phone_number = "+33612345678"
    learner.save()
    data, _ = build_zip(learner)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist())
    assert "Epilepsy" in text and "+33612345678" in text
    assert "fe1:" not in text  # decrypted for the person, never ciphertext

    erase_subject(user=learner, reason="request")
    assert not PersonalDetails.objects.filter(user=learner).exists()
    learner.refresh_from_db()
    assert learner.phone_number == ""
