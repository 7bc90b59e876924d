"""Full-text search over Course.search_text, per database behind one interface
(syllabus.courses.search): an FTS5 table kept in step by triggers on SQLite, a GIN
expression index on PostgreSQL. Both stem English words (Porter / 'english')."""

from django.db import migrations

SQLITE_UP = [
    """CREATE VIRTUAL TABLE courses_course_fts USING fts5(
        search_text, content='courses_course', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER courses_course_fts_ai AFTER INSERT ON courses_course BEGIN
        INSERT INTO courses_course_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER courses_course_fts_ad AFTER DELETE ON courses_course BEGIN
        INSERT INTO courses_course_fts(courses_course_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER courses_course_fts_au AFTER UPDATE OF search_text ON courses_course BEGIN
        INSERT INTO courses_course_fts(courses_course_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO courses_course_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO courses_course_fts(courses_course_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS courses_course_fts_au",
    "DROP TRIGGER IF EXISTS courses_course_fts_ad",
    "DROP TRIGGER IF EXISTS courses_course_fts_ai",
    "DROP TABLE IF EXISTS courses_course_fts",
]
POSTGRES_UP = [
    "CREATE INDEX courses_course_search_gin ON courses_course "
    "USING gin (to_tsvector('english'::regconfig, search_text))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS courses_course_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("courses", "0002a_catalog_indexes")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
    ]
