"""On PostgreSQL, refuse UPDATE and DELETE on audit events at the database level.

Only the retention role ``syllabus_audit_retention`` may delete (the retention job takes
it with SET LOCAL ROLE); nobody may update. The ORM refuses both too; this closes the
door for raw SQL and other clients of the same database.
"""

from django.db import migrations

CREATE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'syllabus_audit_retention') THEN
        CREATE ROLE syllabus_audit_retention NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object THEN NULL;  -- created concurrently (parallel test databases)
    WHEN insufficient_privilege THEN
        RAISE WARNING 'Could not create role syllabus_audit_retention: ask the DBA to create it '
                      '(NOLOGIN) and grant it to the application role; see docs/operations.md.';
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT syllabus_audit_retention TO %I', current_user);
    GRANT SELECT, DELETE ON audit_auditevent TO syllabus_audit_retention;
EXCEPTION
    WHEN undefined_object OR insufficient_privilege OR invalid_grant_operation THEN
        RAISE WARNING 'Could not grant syllabus_audit_retention; audit retention will be refused.';
END
$$;

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

DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_auditevent_append_only();
"""


def _run(sql: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # A plain cursor: without parameters, psycopg leaves the % in format() alone.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
