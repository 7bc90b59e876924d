from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from syllabus.audit.catalog import ACTIONS, POLICIES, Category, category_of
from syllabus.audit.models import GENESIS_HASH, AppendOnlyError, AuditEvent
from syllabus.audit.services import (
    linked_at_the_end,
    purge_expired,
    record,
    verify_all,
    verify_chain,
)
from syllabus.core import request_context

pytestmark = pytest.mark.django_db


def test_record_stores_who_what_and_the_request(learner):
    # given a request in progress
    request_context.bind(
        request_context.RequestContext(
            request_id="req-12345678", ip="203.0.113.9", user_agent="UA/1"
        )
    )
    try:
        # when
        event = record(
            actor=learner, action="user.updated", target=learner, details={"field": "name"}
        )
    finally:
        request_context.clear()
    # then
    event.refresh_from_db()
    assert event.category == Category.DATA_MODIFICATION
    assert event.actor_id == learner.pk
    assert event.target_type == "accounts.user"
    assert event.target_id == learner.public_id
    assert event.details == {"field": "name"}
    assert (event.request_id, event.ip, event.user_agent) == ("req-12345678", "203.0.113.9", "UA/1")
    assert event.prev_hash == GENESIS_HASH
    assert event.hash == event.compute_hash()


def test_each_category_is_its_own_chain(learner):
    first = record(actor=learner, action="user.updated")
    other = record(actor=learner, action="auth.login")
    second = record(actor=learner, action="user.updated")
    assert (first.chain_seq, other.chain_seq, second.chain_seq) == (1, 1, 2)
    assert second.prev_hash == first.hash
    assert other.prev_hash == GENESIS_HASH


def test_events_linked_at_the_end_join_their_chains_in_order_when_the_block_ends(learner):
    before = record(actor=learner, action="user.updated")
    with transaction.atomic():
        with linked_at_the_end():
            first = record(actor=learner, action="user.updated", details={"n": 1})
            login = record(actor=learner, action="auth.login")
            second = record(actor=learner, action="user.updated", details={"n": 2})
            # Not linked yet: no chain lock taken, nothing written.
            assert first.pk is None and AuditEvent.objects.count() == 1
        assert AuditEvent.objects.count() == 4
    assert (first.chain_seq, second.chain_seq, login.chain_seq) == (2, 3, 1)
    assert first.prev_hash == before.hash and second.prev_hash == first.hash
    assert login.prev_hash == GENESIS_HASH
    first.refresh_from_db()
    assert first.details == {"n": 1} and first.hash == first.compute_hash()
    assert all(report.ok for report in verify_all())


def test_a_block_that_fails_records_none_of_its_events(learner):
    def failing_block() -> None:
        with transaction.atomic(), linked_at_the_end():
            record(actor=learner, action="user.updated")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing_block()
    assert not AuditEvent.objects.exists()
    # The next event starts the chain: nothing pending was left behind.
    assert record(actor=learner, action="user.updated").chain_seq == 1


def test_a_nested_block_leaves_the_linking_to_the_outer_one(learner):
    with transaction.atomic(), linked_at_the_end():
        with linked_at_the_end():
            inner = record(actor=learner, action="user.updated")
        assert inner.pk is None
        outer = record(actor=learner, action="user.updated")
    assert (inner.chain_seq, outer.chain_seq) == (1, 2)


def test_a_block_links_every_chain_in_one_read_and_one_insert(learner, django_assert_num_queries):
    """The chains' locks are held from their read to the commit: the block's end makes as
    few round trips as it can (PostgreSQL: the locks and the heads in one message, then
    one insert for every event; SQLite, which has no chain locks: a read per chain)."""
    record(actor=learner, action="user.updated")
    chains = 2
    reads = 1 if connection.vendor == "postgresql" else chains
    with transaction.atomic(), django_assert_num_queries(reads + 1), linked_at_the_end():
        for n in range(3):
            record(actor=learner, action="user.updated", details={"n": n})
        record(actor=learner, action="auth.login")
    seqs = list(
        AuditEvent.objects.filter(category=Category.DATA_MODIFICATION)
        .order_by("chain_seq")
        .values_list("chain_seq", "details")
    )
    assert seqs == [(1, {}), (2, {"n": 0}), (3, {"n": 1}), (4, {"n": 2})]
    assert all(report.ok for report in verify_all())


def test_only_linked_new_events_can_be_inserted_together(learner):
    from syllabus.audit.models import AuditEventQuerySet

    saved = record(actor=learner, action="auth.login")
    unlinked = AuditEvent(category=Category.AUTHENTICATION, action="auth.login")
    for events in ([unlinked], [saved]):
        with pytest.raises(AppendOnlyError, match="new, linked"):
            AuditEventQuerySet(AuditEvent).insert_linked(events)
    assert AuditEvent.objects.count() == 1


POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's locks")


@POSTGRES
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_chain_each_read_the_link_committed_while_they_waited():
    """Eight transactions link events into one chain at the same moment: each reads the
    chain's head after it got the lock (the read is a statement of its own, with its own
    snapshot), so no two claim the same link and the chain verifies."""
    from tests.concurrency import together

    writers = 8

    def write(n: int) -> None:
        with transaction.atomic(), linked_at_the_end():
            record(actor=None, action="user.updated", details={"writer": n, "i": 0})
            record(actor=None, action="user.updated", details={"writer": n, "i": 1})
            record(actor=None, action="auth.login", details={"writer": n})

    results = together([lambda n=n: write(n) for n in range(writers)])
    assert results == [None] * writers
    rows = list(
        AuditEvent.objects.filter(category=Category.DATA_MODIFICATION)
        .order_by("chain_seq")
        .values_list("chain_seq", "details")
    )
    assert [seq for seq, _details in rows] == list(range(1, 2 * writers + 1))
    # A writer's two events are next to each other: it held the chain between them.
    for (_a, first), (_b, second) in zip(rows[::2], rows[1::2], strict=True):
        assert first["writer"] == second["writer"] and (first["i"], second["i"]) == (0, 1)
    assert AuditEvent.objects.filter(category=Category.AUTHENTICATION).count() == writers
    assert all(report.ok for report in verify_all())


@POSTGRES
def test_an_unknown_category_is_refused_before_any_lock():
    from syllabus.audit.services import _lock_heads

    with pytest.raises(ValueError, match="Unknown audit categories"):
        _lock_heads(["data_modification", "made_up'; DROP TABLE x; --"])


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_linking_at_the_end_needs_a_transaction():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"), linked_at_the_end():
        pass


def test_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action 'made.up'"):
        record(actor=None, action="made.up")
    assert not AuditEvent.objects.exists()


def test_every_action_has_a_category_with_retention_and_readers():
    assert set(POLICIES) == set(Category)
    for action in ACTIONS:
        policy = POLICIES[category_of(action)]
        assert policy.retention >= timedelta(days=365)
        assert policy.readers
    # The seed's table, section 6.1.
    assert POLICIES[Category.AUTHENTICATION].retention == timedelta(days=730)
    assert POLICIES[Category.DATA_MODIFICATION].readers == ("auditor",)
    assert POLICIES[Category.ADMIN_ACTION].readers == ("compliance_officer",)
    assert POLICIES[Category.REPORT_EXPORT].retention == timedelta(days=365)


def test_orm_refuses_update_and_delete(learner):
    event = record(actor=learner, action="auth.login")
    event.action = "auth.logout"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent()])
    assert AuditEvent.objects.get(pk=event.pk).action == "auth.login"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"]
)
def test_postgres_trigger_refuses_raw_update_and_delete(learner, sql):
    record(actor=learner, action="auth.login")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEvent.objects.filter(action="auth.login").count() == 1


def _tamper(sql: str, params: list[str | int]) -> None:
    """Change a row behind the ORM's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only"
            )


def test_verify_passes_on_an_intact_trail(learner):
    for _ in range(5):
        record(actor=learner, action="auth.login")
    reports = verify_all()
    assert all(r.ok for r in reports)
    assert sum(r.checked for r in reports) == 5


def test_verify_finds_a_changed_row(learner):
    events = [record(actor=learner, action="auth.login", details={"n": n}) for n in range(4)]
    _tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    report = verify_chain(Category.AUTHENTICATION)
    assert not report.ok
    assert report.broken_event_id == events[2].pk
    assert report.checked == 2
    assert "changed" in report.reason


def test_verify_finds_a_deleted_row(learner):
    events = [record(actor=learner, action="auth.login") for _ in range(4)]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain(Category.AUTHENTICATION)
    assert not report.ok
    assert report.broken_event_id == events[2].pk
    assert "missing" in report.reason


def test_verify_command_reports_the_first_broken_link(learner, capsys):
    events = [record(actor=learner, action="user.updated") for _ in range(3)]
    call_command("audit", "verify")
    assert "Audit trail intact" in capsys.readouterr().out
    _tamper(
        "UPDATE audit_auditevent SET actor_label = 'someone else' WHERE id = %s", [events[1].pk]
    )
    with pytest.raises(CommandError, match=f"first broken link is event id {events[1].pk}"):
        call_command("audit", "verify")


def test_purge_removes_expired_events_and_keeps_the_chain_verifiable(learner):
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        old = [record(actor=learner, action="enrolment.created") for _ in range(3)]
        kept_long = record(actor=learner, action="user.updated")  # 7-year category
    fresh = record(actor=learner, action="enrolment.created")

    removed = purge_expired()

    assert removed == {Category.COURSE_ACCESS.value: 3}
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEvent.objects.filter(pk__in=[kept_long.pk, fresh.pk]).count() == 2
    assert all(r.ok for r in verify_all()), verify_all()
    anchor = AuditEvent.objects.get(action="audit.purged")
    assert anchor.details["through_chain_seq"] == 3


def test_purging_a_prefix_without_an_anchor_is_detected(learner):
    events = [record(actor=learner, action="auth.login") for _ in range(3)]
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])
    report = verify_chain(Category.AUTHENTICATION)
    assert not report.ok
    assert report.broken_event_id == events[1].pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL protection only")
def test_system_check_reports_a_missing_trigger():
    from syllabus.audit.checks import audit_database_protection

    assert audit_database_protection(databases=["default"]) == []
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent")
    try:
        ids = [m.id for m in audit_database_protection(databases=["default"])]
        assert ids == ["syllabus.audit.W001"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE "
                "ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()"
            )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL protection only")
def test_system_check_is_quiet_before_the_migration_that_protects_the_trail():
    # `syllabus migrate` on a new database runs the checks first: no warning about the
    # trigger and role it is about to create.
    from syllabus.audit.checks import PROTECTING_MIGRATION, audit_database_protection

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_auditevent_append_only ON audit_auditevent")
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s",
            list(PROTECTING_MIGRATION),
        )
    try:
        assert audit_database_protection(databases=["default"]) == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())",
                list(PROTECTING_MIGRATION),
            )
            cursor.execute(
                "CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE "
                "ON audit_auditevent FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()"
            )
    assert audit_database_protection(databases=["default"]) == []


def test_verify_reports_each_chain_head(learner):
    last = [record(actor=learner, action="auth.login") for _ in range(3)][-1]
    report = verify_chain(Category.AUTHENTICATION)
    assert (report.head_seq, report.head_hash) == (3, last.hash)
    assert verify_chain(Category.REPORT_EXPORT).head_hash == ""


def test_the_chains_are_verified_weekly_and_the_result_recorded(learner):
    from syllabus.audit.tasks import audit_verify_task

    record(actor=learner, action="auth.login")
    assert audit_verify_task.call_local() == []
    event = AuditEvent.objects.filter(action="audit.verified").get()
    assert event.details == {"events": 1, "broken": []}
    validate = audit_verify_task.task_class().validate_datetime
    sunday = timezone.now().replace(hour=4, minute=23)
    while sunday.weekday() != 6:
        sunday += timedelta(days=1)
    assert validate(sunday)
    assert not validate(sunday + timedelta(days=1))
