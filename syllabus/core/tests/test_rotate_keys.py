"""``syllabus rotate-keys``: every value ends under the current key, readable; refusals
happen before anything is written; an interrupted run resumes."""

from __future__ import annotations

import datetime
import io
from typing import Any
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from syllabus.accounts.mfa_adapter import MfaAdapter, legacy_encrypt
from syllabus.accounts.models import PersonalDetails, User
from syllabus.accounts.tests.mfa_helpers import enrol_totp, recovery_codes
from syllabus.audit.models import AuditEvent
from syllabus.cli import main as syllabus_main
from syllabus.core import rotation
from syllabus.core.crypto import generate_key
from syllabus.core.fields import Ciphertext
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ring_with_current(key_id: str) -> str:
    """The test ring ('test2,test1') reordered so that ``key_id`` is current."""
    entries = settings.FIELD_KEYS.split(",")
    first = [e for e in entries if e.startswith(f"{key_id}:")]
    return ",".join(first + [e for e in entries if not e.startswith(f"{key_id}:")])


def raw_column(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY 1")  # noqa: S608
        return [str(value) for (value,) in cursor.fetchall() if value not in (None, "")]


def make_people(count: int) -> list[User]:
    people: list[User] = []
    for i in range(count):
        user: User = UserFactory(phone_number=f"+3361000{i:04d}")
        PersonalDetails.objects.create(
            user=user,
            date_of_birth=datetime.date(2000, 1, 1) + datetime.timedelta(days=i),
            postal_address=f"{i} Main Street",
            id_number=f"ID-{i:05d}",
            medical_notes=f"notes {i}" if i % 2 else "",
        )
        people.append(user)
    return people


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def all_tokens() -> list[str]:
    tokens = raw_column("accounts_user", "phone_number")
    for column in ("date_of_birth", "postal_address", "id_number", "medical_notes"):
        tokens += raw_column("accounts_personaldetails", column)
    for data in Authenticator.objects.values_list("data", flat=True):
        tokens += [v for k, v in data.items() if k in ("secret", "seed")]
    return tokens


def assert_readable(people: list[User]) -> None:
    for i, user in enumerate(people):
        details = PersonalDetails.objects.get(pk=user.pk)
        assert User.objects.get(pk=user.pk).phone_number == f"+3361000{i:04d}"
        assert details.postal_address == f"{i} Main Street"
        assert details.date_of_birth == datetime.date(2000, 1, 1) + datetime.timedelta(days=i)
        index = PersonalDetails._meta.get_field("id_number_index")
        assert PersonalDetails.objects.filter(index.lookup(f"id{i:05d}")).get() == details


def test_rotation_moves_every_value_to_the_current_key_and_keeps_them_readable():
    # given values, MFA secrets and blind indexes written while test1 was current
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        people = make_people(5)
        secret = enrol_totp(people[0])
        codes = recovery_codes(people[0])
    assert all(t.startswith("fe1:test1:") for t in all_tokens())
    # when rotating with test2 current
    output = rotate("--batch-size", "2")
    # then every value is under test2, and reads as before
    assert all(t.startswith("fe1:test2:") for t in all_tokens())
    assert all(
        i.startswith("test2:") for i in raw_column("accounts_personaldetails", "id_number_index")
    )
    assert_readable(people)
    totp = Authenticator.objects.get(user=people[0], type="totp")
    assert MfaAdapter().decrypt(totp.data["secret"]) == secret
    assert recovery_codes(people[0]) == codes
    assert "Re-encrypted 12 rows under 'test2'" in output  # 5 users, 5 details, 2 authenticators
    started = AuditEvent.objects.get(action="crypto.rotation_started")
    assert started.details["stale_rows"] == {
        "accounts.User": 5,
        "accounts.PersonalDetails": 5,
        "MFA secrets (mfa.Authenticator)": 2,
    }
    finished = AuditEvent.objects.get(action="crypto.keys_rotated")
    assert finished.details["total_rows"] == 12
    assert finished.details["remaining_stale_rows"] == 0
    assert finished.details["current_key"] == "test2"


def test_a_second_run_finds_nothing_to_do_and_writes_nothing():
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        make_people(2)
    rotate()
    before = all_tokens()
    output = rotate()
    assert "Every value is under 'test2' already." in output
    assert all_tokens() == before
    assert AuditEvent.objects.filter(action="crypto.keys_rotated").count() == 1


def test_a_dry_run_counts_and_writes_nothing():
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        make_people(3)
    before = all_tokens()
    output = rotate("--dry-run")
    assert "Dry run: 6 rows would be re-encrypted under 'test2'." in output
    assert all_tokens() == before
    assert not AuditEvent.objects.filter(action__startswith="crypto.").exists()


def test_an_interrupted_rotation_resumes_where_it_stopped():
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        people = make_people(6)
    real_write = rotation.ModelSource._write
    calls = {"n": 0}

    def crash_on_second_batch(self: Any, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch: it is rolled back, the first one stays
            raise KeyboardInterrupt
        return real_write(self, *args)

    with (
        mock.patch.object(rotation.ModelSource, "_write", crash_on_second_batch),
        pytest.raises(KeyboardInterrupt),
    ):
        rotate("--batch-size", "2")
    tokens = all_tokens()
    assert any(t.startswith("fe1:test2:") for t in tokens)
    assert any(t.startswith("fe1:test1:") for t in tokens)
    assert_readable(people)  # a half-done rotation reads and searches fine

    rotate("--batch-size", "2")
    assert all(t.startswith("fe1:test2:") for t in all_tokens())
    assert_readable(people)


def test_a_value_under_a_key_missing_from_the_ring_stops_rotation_before_writing():
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        make_people(2)
    gone = f"gone:{generate_key()}"
    with override_settings(FIELD_KEYS=f"{gone},{settings.FIELD_KEYS}"):
        make_people(1)[0].personal_details.delete()  # a phone number under 'gone' only
    before = all_tokens()
    with pytest.raises(CommandError) as caught:
        rotate()
    assert "key 'gone', which is not in SYLLABUS_FIELD_KEYS" in str(caught.value)
    assert "accounts.User.phone_number" in str(caught.value)
    assert all_tokens() == before
    refused = AuditEvent.objects.get(action="crypto.rotation_refused")
    assert refused.details["key_ids"] == ["gone"]
    assert not AuditEvent.objects.filter(action="crypto.keys_rotated").exists()


def test_a_wrong_key_stops_rotation_before_writing():
    with override_settings(FIELD_KEYS=ring_with_current("test1")):
        make_people(2)
    current = ring_with_current("test2").split(",")[0]
    before = all_tokens()
    with (
        override_settings(FIELD_KEYS=f"{current},test1:{generate_key()}"),
        pytest.raises(CommandError) as caught,
    ):
        rotate()
    assert "the key 'test1' in the ring does not open the values stored under it" in str(
        caught.value
    )
    assert "Nothing was rewritten" in str(caught.value)
    assert all_tokens() == before


def test_a_wrong_current_key_stops_rotation_before_writing():
    make_people(2)  # under test2
    before = all_tokens()
    test1 = ring_with_current("test1").split(",")[0]
    with (
        override_settings(FIELD_KEYS=f"test2:{generate_key()},{test1}"),
        pytest.raises(CommandError, match="'test2' in the ring does not open"),
    ):
        rotate("--dry-run")
    assert all_tokens() == before


def test_mfa_secrets_from_before_the_key_ring_are_moved_to_it():
    user = UserFactory()
    secret = enrol_totp(user)
    totp = Authenticator.objects.get(user=user, type="totp")
    totp.data["secret"] = legacy_encrypt(secret)
    totp.save()
    rotate()
    totp.refresh_from_db()
    assert totp.data["secret"].startswith("fe1:test2:")
    assert MfaAdapter().decrypt(totp.data["secret"]) == secret


def test_a_value_changed_during_rotation_is_kept():
    user = make_people(1)[0]
    source = next(s for s in rotation.model_sources() if s.model is PersonalDetails)
    details = PersonalDetails.objects.get(pk=user.pk)
    stale = Ciphertext(raw_column("accounts_personaldetails", "postal_address")[0])
    details.postal_address = "Moved meanwhile"
    details.save()
    assert (
        source._write([(user.pk, [("postal_address", stale, Ciphertext("fe1:test2:AAAA"))])]) == 0
    )
    assert PersonalDetails.objects.get(pk=user.pk).postal_address == "Moved meanwhile"


def test_bad_batch_sizes_are_refused():
    with pytest.raises(CommandError, match="--batch-size must be between 1 and 10000"):
        rotate("--batch-size", "0")


def test_the_cli_spells_it_rotate_keys(capsys):
    assert syllabus_main(["rotate-keys", "--dry-run"]) == 0
    assert "Dry run: 0 rows would be re-encrypted" in capsys.readouterr().out


def test_generate_field_key_prints_a_usable_key():
    out = io.StringIO()
    call_command("generate_field_key", "k9", stdout=out)
    line = out.getvalue().strip()
    assert line.startswith("k9:")
    from syllabus.core.crypto import KeyRing

    assert KeyRing.parse(line).weak_key_ids() == []
    with pytest.raises(CommandError, match="A key id is"):
        call_command("generate_field_key", "bad id!", stdout=io.StringIO())


def test_the_system_check_warns_about_weak_keys():
    import base64

    from syllabus.core.checks import field_keys_strength

    assert field_keys_strength() == []
    weak = base64.b64encode(bytes(32)).decode()
    with override_settings(FIELD_KEYS=f"{settings.FIELD_KEYS},zero:{weak}"):
        messages = field_keys_strength()
    assert [m.id for m in messages] == ["syllabus.core.W001"]
    assert "'zero'" in messages[0].msg
