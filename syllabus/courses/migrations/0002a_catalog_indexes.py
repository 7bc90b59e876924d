# The indexes 0002_catalog_content_enrolment adds to tables that existed before it:
# built with CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on courses_course or
# the memberships while they build), hence not atomic. Same names and definitions as a
# plain AddField/AddIndex would make.

from django.db import migrations, models

from syllabus.core.migration_ops import AddFieldIndexConcurrently, AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("courses", "0002_catalog_content_enrolment"),
    ]

    operations = [
        AddFieldIndexConcurrently(model_name="course", name="copied_from"),
        AddFieldIndexConcurrently(model_name="course", name="category"),
        AddFieldIndexConcurrently(model_name="coursemembership", name="cohort"),
        AddFieldIndexConcurrently(model_name="historicalcoursemembership", name="cohort"),
        AddIndexConcurrently(
            model_name="course",
            index=models.Index(fields=["status", "category"], name="courses_cou_status_1d6ad1_idx"),
        ),
    ]
