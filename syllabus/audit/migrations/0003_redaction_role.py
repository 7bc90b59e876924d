"""On PostgreSQL, let one role pseudonymise personal data in recorded events (GDPR erasure).

``syllabus_audit_redaction`` may UPDATE only the columns that can hold personal data
(actor_label, target_label, details, ip, user_agent), granted column by column; the
trigger also checks that the chain columns did not move. Nothing else may update. Every
redaction is itself an audited event recording each changed event's new content hash,
which ``syllabus audit verify`` checks (syllabus.audit.services.redact).
"""

from django.db import migrations

CREATE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'syllabus_audit_redaction') THEN
        CREATE ROLE syllabus_audit_redaction NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object THEN NULL;  -- created concurrently (parallel test databases)
    WHEN insufficient_privilege THEN
        RAISE WARNING 'Could not create role syllabus_audit_redaction: ask the DBA to create '
                      'it (NOLOGIN) and grant it to the application role; see docs/privacy.md.';
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT syllabus_audit_redaction TO %I', current_user);
    GRANT SELECT ON audit_auditevent TO syllabus_audit_redaction;
    GRANT UPDATE (actor_label, target_label, details, ip, user_agent)
        ON audit_auditevent TO syllabus_audit_redaction;
EXCEPTION
    WHEN undefined_object OR insufficient_privilege OR invalid_grant_operation THEN
        RAISE WARNING 'Could not grant syllabus_audit_redaction; erasure cannot pseudonymise '
                      'audit events.';
END
$$;

CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_user = 'syllabus_audit_retention' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND current_user = 'syllabus_audit_redaction'
       AND NEW.id = OLD.id AND NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash
       AND NEW.chain_seq = OLD.chain_seq AND NEW.category = OLD.category
       AND NEW.action = OLD.action AND NEW.occurred_at = OLD.occurred_at
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.target_type = OLD.target_type AND NEW.target_id = OLD.target_id
       AND NEW.request_id = OLD.request_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# Back to 0002's function: deletes by the retention role only, no updates at all.
DROP = r"""
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_user = 'syllabus_audit_retention' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DO $$
BEGIN
    REVOKE UPDATE (actor_label, target_label, details, ip, user_agent)
        ON audit_auditevent FROM syllabus_audit_redaction;
EXCEPTION
    WHEN undefined_object OR insufficient_privilege THEN NULL;
END
$$;
"""


def _run(sql: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # A plain cursor: without parameters, psycopg leaves the % in format() alone.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
