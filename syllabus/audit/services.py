"""Writing to and checking the audit trail. The only way events are created or removed."""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from syllabus.audit.catalog import POLICIES, Category, category_of
from syllabus.audit.models import GENESIS_HASH, AuditEvent, AuditEventQuerySet
from syllabus.core import request_context

RETENTION_DB_ROLE = "syllabus_audit_retention"
REDACTION_DB_ROLE = "syllabus_audit_redaction"
# The columns that can hold personal data: the only ones a redaction may change.
REDACTABLE = ("actor_label", "target_label", "details", "ip", "user_agent")
REDACTIONS_PER_EVENT = 500


def _chain_key(category: str) -> int:
    return zlib.crc32(f"syllabus.audit.{category}".encode())


def _lock_chain(category: str) -> None:
    """Serialise writers of one chain so two events never claim the same link.

    PostgreSQL: a transaction-scoped advisory lock per category. SQLite: every write
    transaction already holds the database's write lock (transaction_mode=IMMEDIATE).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_chain_key(category)])


def _lock_heads(categories: list[str]) -> dict[str, tuple[int, str]]:
    """Lock the chains of ``categories`` (in this order) and read their last links:
    ``{category: (chain_seq, hash)}`` for the chains that have one.

    On PostgreSQL in one round trip: the locks and the read go as one message of several
    statements, each with its own snapshot (READ COMMITTED), so the read sees a link
    committed while this transaction waited for the lock. The lock is held until the
    transaction ends, and under load a round trip is not cheap (a thread that sent one
    waits for the GIL again when the answer comes), so the fewer made while holding it,
    the less every other writer of the chain waits (bench/RESULTS.md, the quiz submit).
    Values are written into the statement as literals (psycopg composes them); a category
    is checked against the catalog first.
    """
    if connection.vendor != "postgresql":
        heads = {}
        for category in categories:
            last = (
                AuditEvent.objects.filter(category=category)
                .order_by("-chain_seq")
                .values_list("chain_seq", "hash")
                .first()
            )
            if last is not None:
                heads[category] = last
        return heads
    from psycopg import sql

    known = {c.value for c in Category}
    unknown = [c for c in categories if c not in known]
    if unknown:
        raise ValueError(f"Unknown audit categories: {unknown}")
    locks = sql.SQL("").join(
        sql.SQL("SELECT pg_advisory_xact_lock({});").format(sql.Literal(_chain_key(c)))
        for c in categories
    )
    read = sql.SQL(
        "SELECT c.category, last.chain_seq, last.hash FROM unnest({}::text[]) AS c(category)"
        " CROSS JOIN LATERAL (SELECT chain_seq, hash FROM {} WHERE category = c.category"
        " ORDER BY chain_seq DESC LIMIT 1) AS last"
    ).format(sql.Literal(categories), sql.Identifier(AuditEvent._meta.db_table))
    with connection.cursor() as cursor:
        # No parameters: one simple-protocol message, whichever binding the backend uses.
        cursor.execute((locks + read).as_string(cursor.connection))
        for _ in categories:  # past the locks' results to the read's
            cursor.nextset()
        return {category: (seq, digest) for category, seq, digest in cursor.fetchall()}


def _describe_target(target: models.Model | None) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    target_id = getattr(target, "public_id", None) or str(target.pk)
    return target._meta.label_lower, str(target_id), str(target)[:254]


def _json_safe(details: dict[str, Any] | None) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(details or {}, default=str))
    return result


# Events recorded inside ``linked_at_the_end()``: linked into their chains when the block
# ends, not when they are recorded. Per thread (each request or job runs on its own).
_pending = threading.local()


def record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; request id, IP and user agent come from the current request.

    Call it inside the same transaction as the change it describes, so both commit or
    neither does. Inside ``linked_at_the_end()`` the event is returned unsaved and is
    saved, linked into its chain, when that block ends.
    """
    category = category_of(action)
    context = request_context.current()
    target_type, target_id, target_label = _describe_target(target)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        occurred_at=timezone.now(),
        category=category,
        action=action,
        actor=actor if is_user else None,
        actor_label=str(actor)[:254] if is_user else "",
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        details=_json_safe(details),
        request_id=context.request_id,
        ip=context.ip,
        user_agent=context.user_agent[:512],
    )
    pending: list[AuditEvent] | None = getattr(_pending, "events", None)
    if pending is not None:
        pending.append(event)
        return event
    with transaction.atomic():
        _append({category: [event]})
    return event


def _append(by_category: dict[str, list[AuditEvent]]) -> None:
    """Link each category's events (in order) after the last event of its chain and save
    them all in one statement. Locks the chains in one order (by category), so two
    writers cannot deadlock, and holds the locks until the surrounding transaction ends."""
    categories = sorted(by_category)
    heads = _lock_heads(categories)
    events: list[AuditEvent] = []
    for category in categories:
        seq, previous = heads.get(category, (0, GENESIS_HASH))
        for event in by_category[category]:
            seq += 1
            event.chain_seq = seq
            event.prev_hash = previous
            event.hash = previous = event.compute_hash()
            events.append(event)
    AuditEventQuerySet(AuditEvent).insert_linked(events)


@contextmanager
def linked_at_the_end() -> Iterator[None]:
    """Record the block's audit events, but link them into their chains only as the block
    ends: for a block that ends its transaction, the chains' locks are then held for the
    inserts and the commit instead of the whole block.

    A chain takes one writer at a time (its lock), so a long transaction that records an
    event early made every other writer of that chain wait for all of its remaining work:
    500 learners submitting a quiz waited 0.8 s each on the grade event's lock (bench/
    RESULTS.md). Use it inside ``transaction.atomic()``, as the block's last step before
    the commit; chains are locked in one order (by category), so two such blocks cannot
    deadlock on each other. If the block raises, its events are dropped with its changes.
    Only around code that lets its errors out: an event recorded inside a nested
    ``atomic()`` whose error the block catches and goes on from would still be written,
    while the change it describes was rolled back.
    """
    if getattr(_pending, "events", None) is not None:  # nested: the outer block links
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("linked_at_the_end() must run inside transaction.atomic()")
    _pending.events = []
    try:
        yield
        events: list[AuditEvent] = _pending.events
    finally:
        _pending.events = None
    by_category: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_category.setdefault(event.category, []).append(event)
    if by_category:
        _append(by_category)


@dataclass(frozen=True)
class ChainReport:
    category: str
    checked: int
    ok: bool
    broken_event_id: int | None = None
    broken_chain_seq: int | None = None
    reason: str = ""
    head_seq: int | None = None  # the newest link checked, to be kept outside the database
    head_hash: str = ""


def _purge_anchors() -> dict[str, tuple[int, str]]:
    """For each category, the last link a retention purge removed: (chain_seq, hash)."""
    anchors: dict[str, tuple[int, str]] = {}
    for details in (
        AuditEvent.objects.filter(action="audit.purged")
        .order_by("id")
        .values_list("details", flat=True)
    ):
        anchors[details["category"]] = (int(details["through_chain_seq"]), details["last_hash"])
    return anchors


def _redactions() -> dict[tuple[str, int], str]:
    """Events whose personal data was pseudonymised: (category, chain_seq) -> the hash of
    their content after redaction, as the ``audit.redacted`` event recorded it."""
    found: dict[tuple[str, int], str] = {}
    for details in (
        AuditEvent.objects.filter(action="audit.redacted")
        .order_by("id")
        .values_list("details", flat=True)
    ):
        for item in details.get("events", []):
            found[(item["category"], int(item["chain_seq"]))] = item["content_hash"]
    return found


def verify_chain(
    category: str,
    *,
    anchors: dict[str, tuple[int, str]] | None = None,
    redactions: dict[tuple[str, int], str] | None = None,
    on_event: Callable[[], None] | None = None,
) -> ChainReport:
    """Walk one category's chain in order and report the first link that does not hold.

    A redacted event keeps its original hash (so the links around it still hold); its
    content must then match the content hash its ``audit.redacted`` event recorded.
    """
    anchors = _purge_anchors() if anchors is None else anchors
    redactions = _redactions() if redactions is None else redactions
    expected_seq, expected_prev = 1, GENESIS_HASH
    checked = 0
    events: Iterator[AuditEvent] = (
        AuditEvent.objects.filter(category=category).order_by("chain_seq").iterator(chunk_size=2000)
    )
    for event in events:
        if checked == 0 and event.chain_seq != 1:
            anchor = anchors.get(category)
            if anchor and anchor[0] == event.chain_seq - 1:
                expected_seq, expected_prev = event.chain_seq, anchor[1]
        problem = ""
        if event.chain_seq != expected_seq:
            problem = (
                f"link #{expected_seq} is missing (next present is #{event.chain_seq}): "
                "an event was deleted"
            )
        elif event.prev_hash != expected_prev:
            problem = "its previous-hash does not match the event before it"
        elif (content := event.compute_hash()) != event.hash and content != redactions.get(
            (category, event.chain_seq)
        ):
            problem = "its content does not match its hash: the event was changed"
        if problem:
            return ChainReport(category, checked, False, event.pk, event.chain_seq, problem)
        checked += 1
        expected_seq, expected_prev = event.chain_seq + 1, event.hash
        if on_event:
            on_event()
    head = (expected_seq - 1, expected_prev) if checked else (None, "")
    return ChainReport(category, checked, True, head_seq=head[0], head_hash=head[1])


def verify_all(*, on_event: Callable[[], None] | None = None) -> list[ChainReport]:
    anchors, redactions = _purge_anchors(), _redactions()
    return [
        verify_chain(c.value, anchors=anchors, redactions=redactions, on_event=on_event)
        for c in Category
    ]


def redact(
    *,
    events: Iterable[AuditEvent],
    replace: Callable[[AuditEvent], dict[str, Any]],
    reason: str,
) -> int:
    """Pseudonymise personal data in recorded events (GDPR erasure); returns how many changed.

    ``replace`` returns new values for some of REDACTABLE (a label, the details, the
    address); nothing else can change. Each event keeps its hash, so the chain's links
    still hold, and an ``audit.redacted`` event (in the same transaction) records each
    changed event's new content hash, which ``verify`` checks instead of the original.
    On PostgreSQL the update runs as the redaction role, the only one the append-only
    trigger lets update, and only those columns.
    """
    done: list[dict[str, Any]] = []
    with transaction.atomic():
        for event in events:
            changes = {
                name: value
                for name, value in replace(event).items()
                if name in REDACTABLE and getattr(event, name) != value
            }
            if not changes:
                continue
            for name, value in changes.items():
                setattr(event, name, value)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"SET LOCAL ROLE {REDACTION_DB_ROLE}")
                # The base manager: the default one refuses every update.
                models.QuerySet(AuditEvent).filter(pk=event.pk).update(**changes)
                if connection.vendor == "postgresql":
                    cursor.execute("RESET ROLE")
            done.append(
                {
                    "id": event.pk,
                    "category": event.category,
                    "chain_seq": event.chain_seq,
                    "fields": sorted(changes),
                    "content_hash": event.compute_hash(),
                }
            )
        for start in range(0, len(done), REDACTIONS_PER_EVENT):
            record(
                actor=None,
                action="audit.redacted",
                details={"reason": reason, "events": done[start : start + REDACTIONS_PER_EVENT]},
            )
    return len(done)


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Remove events older than their category's retention, oldest first, per chain.

    Only a prefix of each chain is removed, and an ``audit.purged`` event records the
    last removed link, so ``verify`` still proves nothing else is missing. On PostgreSQL
    the delete runs as the retention role, the only role the append-only trigger lets
    delete.
    """
    now = now or timezone.now()
    removed: dict[str, int] = {}
    for category, policy in POLICIES.items():
        cutoff = now - policy.retention
        with transaction.atomic():
            _lock_chain(category.value)
            last = (
                AuditEvent.objects.filter(category=category, occurred_at__lt=cutoff)
                .order_by("-chain_seq")
                .values("chain_seq", "hash")
                .first()
            )
            if last is None:
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"SET LOCAL ROLE {RETENTION_DB_ROLE}")
                table = AuditEvent._meta.db_table
                cursor.execute(
                    f"DELETE FROM {table} WHERE category = %s AND chain_seq <= %s",  # noqa: S608  # nosec B608  # our table
                    [category.value, last["chain_seq"]],
                )
                count = cursor.rowcount
                if connection.vendor == "postgresql":
                    cursor.execute("RESET ROLE")
            removed[category.value] = count
            # In the same transaction: the anchor exists exactly when the deletion does.
            record(
                actor=None,
                action="audit.purged",
                details={
                    "category": category.value,
                    "through_chain_seq": last["chain_seq"],
                    "last_hash": last["hash"],
                    "removed": count,
                    "cutoff": cutoff.isoformat(),
                },
            )
    return removed
