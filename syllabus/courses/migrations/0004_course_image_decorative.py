# A course image can be marked decorative (shown with alt="", no description needed).
#
# The column keeps its database default (false) so the previous release, still serving
# during a rollout, can insert courses. On SQLite a NOT NULL column is added by rebuilding
# the table, which drops the triggers that keep the full-text index (0003_search_index) in
# step: they are created again, and the index rebuilt, after the rebuild in either
# direction. PostgreSQL adds the column in place and keeps its GIN index.

from importlib import import_module

from django.db import migrations, models

from syllabus.core.migration_ops import AddFieldWithDatabaseDefault

search_index = import_module("syllabus.courses.migrations.0003_search_index")
TRIGGERS = ("courses_course_fts_ai", "courses_course_fts_ad", "courses_course_fts_au")


def restore_search_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    # SQLITE_UP: the FTS table (kept: it survives the rebuild), the triggers, a rebuild.
    for sql in search_index.SQLITE_UP[1:]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0003_search_index"),
    ]

    operations = [
        # Backwards, this runs last: after RemoveField's rebuild.
        migrations.RunPython(migrations.RunPython.noop, restore_search_triggers),
        AddFieldWithDatabaseDefault(
            model_name="course",
            name="image_decorative",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(restore_search_triggers, migrations.RunPython.noop),
    ]
