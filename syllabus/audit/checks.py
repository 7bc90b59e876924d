"""System checks: `syllabus check` tells an operator when the audit trail is not protected."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, connection

from syllabus.audit.services import RETENTION_DB_ROLE

# The migration that makes the trigger and the retention role: until it is applied there
# is nothing to check (``syllabus migrate`` on a new database ran this check first and
# warned about the very things it was about to create).
PROTECTING_MIGRATION = ("audit", "0002_append_only_trigger")


@register(Tags.database)
def audit_database_protection(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """On PostgreSQL, the append-only trigger and the retention role must both exist."""
    if connection.vendor != "postgresql" or kwargs.get("databases") is None:
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT FROM django_migrations WHERE app = %s AND name = %s)",
                list(PROTECTING_MIGRATION),
            )
            if not cursor.fetchone()[0]:
                return []
            cursor.execute(
                "SELECT EXISTS (SELECT FROM pg_trigger WHERE tgname = %s)",
                ["audit_auditevent_append_only"],
            )
            has_trigger = cursor.fetchone()[0]
            cursor.execute(
                "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s",
                [RETENTION_DB_ROLE],
            )
            row = cursor.fetchone()
            is_member = bool(row and row[0])
    except DatabaseError:
        return []  # not migrated yet, or the database is down: other checks report that
    messages: list[CheckMessage] = []
    if not has_trigger:
        messages.append(
            Warning(
                "The audit trail's append-only trigger is missing.",
                hint="Run 'syllabus migrate'.",
                id="syllabus.audit.W001",
            )
        )
    if not is_member:
        messages.append(
            Warning(
                f"The database role {RETENTION_DB_ROLE} is missing or not granted to the "
                "application's role, so audit retention will fail.",
                hint="See docs/operations.md, 'The audit trail', for the SQL a DBA runs.",
                id="syllabus.audit.W002",
            )
        )
    return messages
