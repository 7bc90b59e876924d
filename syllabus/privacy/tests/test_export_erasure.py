"""The two guarantees: an export holds every declared personal field, and an erasure
leaves none of the person's identifying data anywhere (history tables included)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models import TextField
from django.db.models.functions import Cast

from syllabus.audit.models import AuditEvent
from syllabus.audit.services import record, verify_all
from syllabus.privacy import registry
from syllabus.privacy.exports import build_zip
from syllabus.privacy.models import ErasureRecord
from syllabus.privacy.services import erase_subject
from syllabus.privacy.tests.people import EMAIL, NAME, PHONE, make_world

pytestmark = pytest.mark.django_db


def _zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_export_contains_every_declared_model_and_field():
    world = make_world(skip=("privacy.ErasureRecord",))
    data, manifest = build_zip(world.subject)
    files = _zip(data)
    assert "manifest.json" in files
    assert json.loads(files["manifest.json"])["subject"] == world.subject.public_id
    missing_models, missing_fields = [], []
    for entry in registry.entries():
        if entry.label == "privacy.ErasureRecord":
            continue
        name = entry.model_class._meta.label_lower
        if f"{name}.json" not in files or f"{name}.csv" not in files:
            missing_models.append(entry.label)
            continue
        rows = json.loads(files[f"{name}.json"])["rows"]
        assert rows, entry.label
        expected = {f.name for f in entry.export_fields()}
        for row in rows:
            if set(row) != expected:
                missing_fields.append((entry.label, expected - set(row)))
        header = files[f"{name}.csv"].decode().splitlines()[0].split(",")
        assert header == [f.name for f in entry.export_fields()]
    assert missing_models == []
    assert missing_fields == []
    everything = b"".join(files.values()).decode()
    for value in (EMAIL, NAME, PHONE):
        assert value in everything
    # Secrets never leave: password hashes, token hashes, TOTP secrets.
    assert world.subject.password not in everything
    assert "a" * 64 not in everything
    assert '"secret"' not in everything
    for info in manifest["files"]:
        assert info["rows"] >= 1 and len(info["sha256"]) == 64


def test_export_csv_cells_cannot_run_formulas():
    world = make_world(skip=("privacy.ErasureRecord",))
    world.subject.full_name = '=HYPERLINK("http://evil")'
    world.subject.save()
    files = _zip(build_zip(world.subject)[0])
    assert "'=HYPERLINK" in files["accounts.user.csv"].decode()


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        and not type(f).__name__.startswith(("Encrypted", "BlindIndex"))
    ]


def _rows_mentioning(values: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for model in apps.get_models(include_auto_created=True):
        if model is Session:
            continue
        for f in _text_fields(model):
            for value in values:
                qs = model._default_manager.annotate(_t=Cast(f.name, TextField())).filter(
                    _t__icontains=value
                )
                if count := qs.count():
                    key = f"{model._meta.label}.{f.name} ~ {value}"
                    found[key] = found.get(key, 0) + count
    return found


def test_erasure_leaves_no_personal_data_anywhere():
    world = make_world(skip=("privacy.ErasureRecord",))
    subject = world.subject
    assert _rows_mentioning(world.pii)  # the scan finds the data before erasure
    summary = erase_subject(user=subject, reason="request")
    assert _rows_mentioning(world.pii) == {}
    subject.refresh_from_db()
    assert subject.email.endswith("@erased.invalid") and subject.full_name == ""
    assert not subject.is_active and not subject.has_usable_password()
    assert not Session.objects.filter(session_key=world.extra["session_key"]).exists()
    if "certificate_pdf" in world.extra:  # the PDF prints the name
        assert not default_storage.exists(world.extra["certificate_pdf"])
    if apps.is_installed("syllabus.accounts") and "personaldetails" in {
        m._meta.model_name for m in apps.get_app_config("accounts").get_models()
    }:
        assert (
            not apps.get_model("accounts", "PersonalDetails").objects.filter(user=subject).exists()
        )
    # Kept records (the law requires them) still point to the pseudonymous tombstone.
    assert summary["grades.Grade"] == {"deleted": 0, "anonymised": 0, "kept": 1}
    assert summary["assessments.Attempt"]["kept"] == 1
    assert summary["accounts.ApiToken"]["deleted"] == 1
    record = ErasureRecord.objects.get(user=subject)
    assert record.summary == summary
    event = AuditEvent.objects.filter(action="privacy.erasure_completed").get()
    assert EMAIL not in json.dumps(event.details) and EMAIL not in event.target_label
    assert all(report.ok for report in verify_all())


def test_audit_events_are_kept_pseudonymised_and_the_chains_still_verify(admin_user):
    world = make_world(skip=("privacy.ErasureRecord",))
    subject = world.subject
    record(
        actor=admin_user,
        action="user.updated",
        target=subject,
        details={"field": "full_name", "before": "Sigrid Before-Rename", "after": NAME},
    )
    mine = AuditEvent.objects.filter(actor=subject).count()
    erase_subject(user=subject, reason="request")
    assert AuditEvent.objects.filter(actor=subject).count() == mine  # kept, not deleted
    for event in AuditEvent.objects.filter(actor=subject):
        assert event.actor_label == f"erased {subject.public_id}"
        assert event.ip is None and event.user_agent == ""
    changed = AuditEvent.objects.get(action="user.updated")
    assert changed.target_label == f"erased {subject.public_id}"
    assert changed.details["after"] == f"erased {subject.public_id}"
    assert changed.actor_label == admin_user.email  # the administrator is not erased
    redaction = AuditEvent.objects.get(action="audit.redacted")
    assert redaction.details["reason"] == "erasure" and len(redaction.details["events"]) >= 2
    assert all(report.ok for report in verify_all())


def test_a_redacted_event_changed_later_is_still_caught():
    world = make_world(skip=("privacy.ErasureRecord",))
    erase_subject(user=world.subject, reason="request")
    event = AuditEvent.objects.filter(actor=world.subject).first()
    assert event is not None
    with connection.cursor() as cursor:  # as an attacker with database access would
        trigger = "audit_auditevent_append_only"
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {trigger}")
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'auth.logout' WHERE id = %s", [event.pk]
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {trigger}")
    broken = [r for r in verify_all() if not r.ok]
    assert [r.broken_event_id for r in broken] == [event.pk]


def test_erasure_is_idempotent():
    world = make_world(skip=("privacy.ErasureRecord",))
    erase_subject(user=world.subject, reason="request")
    assert erase_subject(user=world.subject, reason="request") == {}
    assert ErasureRecord.objects.filter(user=world.subject).count() == 1


def test_export_of_an_erased_person_has_no_identifying_data():
    world = make_world(skip=("privacy.ErasureRecord",))
    erase_subject(user=world.subject, reason="request")
    world.subject.refresh_from_db()
    files = _zip(build_zip(world.subject)[0])
    assert "privacy.erasurerecord.json" in files
    text = b"".join(v for k, v in files.items() if k != "audit.auditevent.json").decode()
    for value in world.pii:
        assert value not in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'x'",
        "UPDATE audit_auditevent SET hash = 'x'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_redaction_role_can_change_nothing_but_personal_data_columns(learner, sql):
    from django.db import DatabaseError, transaction

    record(actor=learner, action="auth.login")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE syllabus_audit_redaction")
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute(sql)
        cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(action="auth.login").count() == 1
