"""The append-only, hash-chained audit trail.

No maintained library gives both append-only storage and a verifiable chain, so this is
ours: each event stores the SHA-256 of its own canonical content plus the previous
event's hash. Changing, inserting or deleting a row breaks the chain at that point,
which ``syllabus audit verify`` reports.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models

from syllabus.audit.catalog import POLICIES, Category

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event through the ORM."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Record audit events with audit.services.record().")

    def insert_linked(self, events: list[AuditEvent]) -> None:
        """Insert events already linked into their chains, in one statement: for
        ``audit.services`` only (it holds the chains' locks and computed the links)."""
        if any(e.hash == "" or e.chain_seq is None or not e._state.adding for e in events):
            raise AppendOnlyError("Only new, linked events can be inserted.")
        super().bulk_create(events)


class AuditEvent(models.Model):
    """One audited action. Each category is its own chain (``chain_seq`` 1, 2, 3 …), so
    that retention can remove the oldest events of one category without breaking the
    others; a purge leaves an ``audit.purged`` event naming the last hash it removed.
    """

    occurred_at = models.DateTimeField(db_index=True, editable=False)
    category = models.CharField(
        max_length=32, choices=[(c.value, POLICIES[c].label) for c in Category], db_index=True
    )
    action = models.CharField(max_length=64, db_index=True)
    # No database constraint: the trail must outlive the accounts it mentions.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    target_label = models.CharField(max_length=254, blank=True)
    details = models.JSONField(default=dict)
    request_id = models.CharField(max_length=128, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    prev_hash = models.CharField(max_length=64)
    chain_seq = models.PositiveBigIntegerField(editable=False)
    hash = models.CharField(max_length=64, unique=True)

    objects: ClassVar[models.Manager[AuditEvent]] = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=["category", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "chain_seq"], name="audit_one_link_per_seq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} #{self.chain_seq} {self.action} by {self.actor_label or 'system'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: they cannot be updated.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field except the hash itself."""
        payload = {
            "chain_seq": self.chain_seq,
            "occurred_at": self.occurred_at.isoformat(),
            "category": self.category,
            "action": self.action,
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "target_label": self.target_label,
            "details": self.details,
            "request_id": self.request_id,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
