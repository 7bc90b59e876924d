"""Encrypted model fields: what the database holds, and what is refused."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from syllabus.accounts.models import PersonalDetails, User
from syllabus.core.crypto import KeyRing, TamperedValue, UnknownKey, generate_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

encrypt_migration = importlib.import_module(
    "syllabus.accounts.migrations.0004_encrypt_phone_numbers"
)

DETAILS = {
    "date_of_birth": datetime.date(2004, 2, 29),
    "postal_address": "12 rue des Écoles\n75005 Paris",
    "id_number": "AB-123 456",
    "accommodation_notes": "Extra time: 25 % on timed quizzes",
    "medical_notes": "Type 1 diabetes; may need a break",
}


def raw(sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def raw_details(user_id: int) -> dict[str, object]:
    columns = [*DETAILS, "id_number_index"]
    row = raw(
        f"SELECT {', '.join(columns)} FROM accounts_personaldetails WHERE user_id = %s",  # noqa: S608
        [user_id],
    )[0]
    return dict(zip(columns, row, strict=True))


def test_the_raw_table_holds_no_plaintext():
    user = UserFactory(phone_number="+33612345678")
    PersonalDetails.objects.create(user=user, **DETAILS)

    stored = raw_details(user.pk)
    phone = raw("SELECT phone_number FROM accounts_user WHERE id = %s", [user.pk])[0][0]

    assert str(phone).startswith("fe1:test2:") and "612345678" not in str(phone)
    for name, value in DETAILS.items():
        assert str(stored[name]).startswith("fe1:test2:"), name
        clear = value.isoformat() if isinstance(value, datetime.date) else str(value)
        assert clear not in str(stored[name])
        # No word of the value shows either. Only words of six or more characters
        # are looked for: a shorter one, such as "12", turns up in random
        # ciphertext often enough to make the test fail now and then.
        for word in (word for word in clear.split() if len(word) >= 6):
            assert word not in str(stored[name]), (name, word)
    assert str(stored["id_number_index"]).startswith("test2:")
    assert "AB-123" not in str(stored["id_number_index"])


def test_values_read_back_as_they_were_written():
    user = UserFactory(phone_number="+33612345678")
    PersonalDetails.objects.create(user=user, **DETAILS)

    details = PersonalDetails.objects.get(pk=user.pk)
    assert {name: getattr(details, name) for name in DETAILS} == DETAILS
    assert isinstance(details.date_of_birth, datetime.date)
    assert User.objects.get(pk=user.pk).phone_number == "+33612345678"


def test_a_new_user_binds_its_phone_number_before_the_primary_key_exists():
    user = User(email="new@example.org", phone_number="+447700900123")
    assert user.pk is None and not user.public_id
    user.save()
    assert user.public_id
    assert User.objects.get(pk=user.pk).phone_number == "+447700900123"


def test_bulk_created_rows_are_encrypted_too():
    users = User.objects.bulk_create(
        [User(email=f"bulk{i}@example.org", phone_number=f"+3361234567{i}") for i in range(3)]
    )
    stored = raw("SELECT phone_number FROM accounts_user WHERE email LIKE 'bulk%%'", [])
    assert all(str(value).startswith("fe1:") for (value,) in stored)
    assert sorted(u.phone_number for u in User.objects.filter(pk__in=[u.pk for u in users])) == [
        f"+3361234567{i}" for i in range(3)
    ]


def test_empty_values_are_stored_empty_and_can_be_filtered():
    user = UserFactory()
    details = PersonalDetails.objects.create(user=user)
    assert raw_details(user.pk) == {
        "date_of_birth": None,
        "postal_address": "",
        "id_number": "",
        "accommodation_notes": "",
        "medical_notes": "",
        "id_number_index": "",
    }
    assert PersonalDetails.objects.get(pk=user.pk).date_of_birth is None
    assert details in PersonalDetails.objects.filter(medical_notes="")
    assert User.objects.filter(pk=user.pk).exclude(phone_number="").count() == 0


def test_a_ciphertext_copied_to_another_row_does_not_open():
    alice, bob = UserFactory(), UserFactory()
    PersonalDetails.objects.create(user=alice, medical_notes="Alice's notes")
    PersonalDetails.objects.create(user=bob, medical_notes="Bob's notes")
    alices = raw_details(alice.pk)["medical_notes"]
    _set_raw("accounts_personaldetails", "medical_notes", alices, "user_id", bob.pk)

    details = PersonalDetails.objects.get(pk=bob.pk)
    with pytest.raises(TamperedValue) as caught:
        details.medical_notes  # noqa: B018
    assert f"accounts_personaldetails.medical_notes.{bob.pk}" in str(caught.value)


def _set_raw(table: str, column: str, value: Any, key: str, pk: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", [value, pk])  # noqa: S608


def test_a_ciphertext_copied_to_another_column_does_not_open():
    user = UserFactory()
    PersonalDetails.objects.create(user=user, medical_notes="notes", accommodation_notes="x")
    _set_raw(
        "accounts_personaldetails",
        "accommodation_notes",
        raw_details(user.pk)["medical_notes"],
        "user_id",
        user.pk,
    )
    details = PersonalDetails.objects.get(pk=user.pk)
    assert details.medical_notes == "notes"
    with pytest.raises(TamperedValue, match="accounts_personaldetails.accommodation_notes"):
        details.accommodation_notes  # noqa: B018


def test_a_phone_number_copied_to_another_user_does_not_open():
    alice, bob = UserFactory(phone_number="+33600000001"), UserFactory(phone_number="+33600000002")
    alices = raw("SELECT phone_number FROM accounts_user WHERE id = %s", [alice.pk])[0][0]
    _set_raw("accounts_user", "phone_number", alices, "id", bob.pk)
    with pytest.raises(TamperedValue, match=f"accounts_user.phone_number.{bob.public_id}"):
        User.objects.get(pk=bob.pk).phone_number  # noqa: B018


def test_a_tampered_ciphertext_is_refused_with_a_clear_error():
    user = UserFactory()
    PersonalDetails.objects.create(user=user, postal_address="1 Main Street")
    token = str(raw_details(user.pk)["postal_address"])
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    _set_raw("accounts_personaldetails", "postal_address", flipped, "user_id", user.pk)
    with pytest.raises(TamperedValue, match="failed its integrity check under key 'test2'"):
        PersonalDetails.objects.get(pk=user.pk).postal_address  # noqa: B018


def test_a_missing_key_names_its_key_id():
    user = UserFactory()
    PersonalDetails.objects.create(user=user, medical_notes="notes")
    only_other = f"other:{generate_key()}"
    with override_settings(FIELD_KEYS=only_other), pytest.raises(UnknownKey) as caught:
        PersonalDetails.objects.get(pk=user.pk).medical_notes  # noqa: B018
    assert caught.value.key_id == "test2"
    assert "'test2', which is not in SYLLABUS_FIELD_KEYS" in str(caught.value)


def test_untouched_values_are_written_back_unchanged():
    user = UserFactory()
    PersonalDetails.objects.create(user=user, medical_notes="notes")
    before = raw_details(user.pk)
    details = PersonalDetails.objects.get(pk=user.pk)
    details.save()
    assert raw_details(user.pk) == before
    details.medical_notes = "new notes"
    details.save()
    after = raw_details(user.pk)
    assert after["medical_notes"] != before["medical_notes"]
    assert after["postal_address"] == before["postal_address"]


def test_encrypted_values_cannot_be_compared_or_bulk_updated():
    UserFactory(phone_number="+33612345678")
    with pytest.raises(TypeError, match="accounts.User.phone_number is encrypted"):
        list(User.objects.filter(phone_number="+33612345678"))
    with pytest.raises(TypeError, match="blind index"):
        PersonalDetails.objects.update(medical_notes="x")


def test_the_blind_index_finds_an_id_number_by_exact_value():
    alice, bob = UserFactory(), UserFactory()
    PersonalDetails.objects.create(user=alice, id_number="AB-123 456")
    PersonalDetails.objects.create(user=bob, id_number="ZZ999")
    index = PersonalDetails._meta.get_field("id_number_index")

    assert list(PersonalDetails.objects.filter(index.lookup("ab123456"))) == [
        alice.personal_details
    ]
    assert not PersonalDetails.objects.filter(index.lookup("AB12345")).exists()
    assert not PersonalDetails.objects.filter(index.lookup("")).exists()


def test_the_blind_index_follows_changes_of_its_value():
    user = UserFactory()
    details = PersonalDetails.objects.create(user=user, id_number="AB1")
    index = PersonalDetails._meta.get_field("id_number_index")
    details.id_number = "CD2"
    details.save()
    assert not PersonalDetails.objects.filter(index.lookup("AB1")).exists()
    assert PersonalDetails.objects.filter(index.lookup("CD2")).exists()
    details.id_number = ""
    details.save()
    assert raw_details(user.pk)["id_number_index"] == ""


def test_lengths_are_checked_on_the_clear_value():
    details = PersonalDetails(user=UserFactory(), id_number="x" * 65)
    with pytest.raises(ValidationError) as caught:
        details.full_clean()
    assert "id_number" in caught.value.message_dict


def test_history_keeps_no_copy_of_phone_numbers():
    columns = [
        c.name
        for c in connection.introspection.get_table_description(
            connection.cursor(), "accounts_historicaluser"
        )
    ]
    assert "phone_number" not in columns


def test_the_migration_encrypts_clear_phone_numbers_and_its_reverse_restores_them():
    user = UserFactory()
    _set_raw("accounts_user", "phone_number", "+33611112222", "id", user.pk)

    encrypt_migration.encrypt_phone_numbers(apps, None)
    stored = raw("SELECT phone_number FROM accounts_user WHERE id = %s", [user.pk])[0][0]
    assert str(stored).startswith("fe1:test2:")
    assert User.objects.get(pk=user.pk).phone_number == "+33611112222"
    encrypt_migration.encrypt_phone_numbers(apps, None)  # idempotent
    assert raw("SELECT phone_number FROM accounts_user WHERE id = %s", [user.pk])[0][0] == stored

    encrypt_migration.decrypt_phone_numbers(apps, None)
    assert (
        raw("SELECT phone_number FROM accounts_user WHERE id = %s", [user.pk])[0][0]
        == "+33611112222"
    )


def test_the_test_ring_has_a_current_and_an_older_key():
    assert KeyRing.parse(settings.FIELD_KEYS).key_ids == ("test2", "test1")
