"""The PostgreSQL roles of the audit trail and their grants, applied again after a restore.

Migrations 0002 and 0003 create two NOLOGIN roles: ``syllabus_audit_retention`` may delete
expired events, ``syllabus_audit_redaction`` may update only the columns that can hold
personal data (GDPR erasure). Backups are restored with ``pg_restore --no-privileges``
(the target cluster may not have the source's roles), which leaves the restored table
without those grants: erasure and retention would then be refused. ``grant_audit_roles``
puts them back; it is idempotent and only warns where the database user may not grant.
The migrations keep their own copy of this SQL: migrations are history and never import
application code.
"""

from __future__ import annotations

from typing import Any

GRANTS = r"""
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['syllabus_audit_retention', 'syllabus_audit_redaction']
    LOOP
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            END IF;
        EXCEPTION
            WHEN duplicate_object THEN NULL;  -- created concurrently
        END;
        EXECUTE format('GRANT %I TO %I', role_name, current_user);
    END LOOP;
    GRANT SELECT, DELETE ON audit_auditevent TO syllabus_audit_retention;
    GRANT SELECT ON audit_auditevent TO syllabus_audit_redaction;
    GRANT UPDATE (actor_label, target_label, details, ip, user_agent)
        ON audit_auditevent TO syllabus_audit_redaction;
EXCEPTION
    WHEN undefined_object OR insufficient_privilege OR invalid_grant_operation THEN
        RAISE WARNING 'Could not grant the audit roles: erasure and audit retention need '
                      'them (see docs/privacy.md).';
END
$$;
"""


def grant_audit_roles(connection: Any) -> None:
    """Create the audit roles if missing and grant them their columns (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(GRANTS)
