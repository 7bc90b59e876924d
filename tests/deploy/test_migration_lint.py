"""The migration safety gate (deploy/scripts/lint-migrations.sh, `make lint-migrations`):
it catches a migration that is unsafe while the previous release serves, passes the same
change written with syllabus.core.migration_ops, and in CI refuses to run without the
PostgreSQL it renders the SQL with. The apps under test are written to tmp_path and
added with --extra-app, so no Syllabus migration is touched."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY

SCRIPT = DEPLOY / "scripts" / "lint-migrations.sh"

INITIAL = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=40)),
            ],
        ),
    ]
"""

# What the previous release cannot live with: its INSERTs do not name the new column (the
# default is dropped after the ALTER), and the index locks the table while it builds.
UNSAFE = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("{app}", "0001_initial")]
    operations = [
        migrations.AddField(
            model_name="probe", name="level", field=models.CharField(default="a", max_length=8)
        ),
        migrations.AddIndex(
            model_name="probe", index=models.Index(fields=["name"], name="probe_name_idx")
        ),
    ]
"""

# The same change, expand/contract-safe: the default stays in the database, the index is
# built concurrently outside a transaction.
SAFE = """
from django.db import migrations, models

from syllabus.core.migration_ops import AddFieldWithDatabaseDefault, AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("{app}", "0001_initial")]
    operations = [
        AddFieldWithDatabaseDefault(
            model_name="probe", name="level", field=models.CharField(default="a", max_length=8)
        ),
        AddIndexConcurrently(
            model_name="probe", index=models.Index(fields=["name"], name="probe_name_idx")
        ),
    ]
"""


def _lint_url() -> str:
    url = os.environ.get("MIGRATION_LINT_DATABASE_URL", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        url = os.environ["DATABASE_URL"]
    if not url:
        message = "the migration linter renders PostgreSQL's SQL: no PostgreSQL configured"
        if os.environ.get("SYLLABUS_REQUIRE_MIGRATION_LINT") == "1":
            pytest.fail(message + " (SYLLABUS_REQUIRE_MIGRATION_LINT=1)")
        pytest.skip(message)
    return url


def _app(root: Path, name: str, second: str) -> None:
    migrations = root / name / "migrations"
    migrations.mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (migrations / "__init__.py").write_text("")
    (migrations / "0001_initial.py").write_text(textwrap.dedent(INITIAL))
    (migrations / "0002_level.py").write_text(textwrap.dedent(second.format(app=name)))


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def _verdict(output: str, app: str, migration: str) -> str:
    match = re.search(rf"^\({app}, {migration}\)\.\.\. (\w+)", output, re.MULTILINE)
    assert match, output[-3000:]
    return match.group(1)


def test_the_linter_flags_an_unsafe_migration_and_passes_the_safe_one(tmp_path):
    url = _lint_url()
    _app(tmp_path, "lintprobe_unsafe", UNSAFE)
    _app(tmp_path, "lintprobe_safe", SAFE)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"MIGRATION_LINT_DATABASE_URL": url, "PYTHONPATH": str(tmp_path)}
    result = _run("--extra-app", "lintprobe_unsafe", "--extra-app", "lintprobe_safe", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert _verdict(output, "lintprobe_unsafe", "0002_level") == "ERR"
    unsafe = output.split("(lintprobe_unsafe, 0002_level)")[1].split("\n(")[0]
    assert "NOT NULL constraint on columns" in unsafe
    assert "CREATE INDEX locks table" in unsafe  # a warning, counted as an error
    assert _verdict(output, "lintprobe_safe", "0002_level") == "OK"
    assert _verdict(output, "lintprobe_safe", "0001_initial") == "OK"


def test_every_syllabus_migration_passes_the_linter(tmp_path):
    url = _lint_url()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"MIGRATION_LINT_DATABASE_URL": url}
    result = _run(env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Erroneous migrations: 0/" in output
    assert "Migrations with warnings: 0/" in output
    # The reviewed exceptions are reported as ignored, not silently dropped.
    assert _verdict(output, "accounts", "0003_personal_details_encrypted_phone") == "IGNORE"


def test_without_postgresql_it_skips_locally_and_fails_in_ci():
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("DATABASE_URL", "MIGRATION_LINT_DATABASE_URL", "SYLLABUS_REQUIRE_MIGRATION_LINT")
    }
    local = _run(env=env)
    assert local.returncode == 0
    assert "needs PostgreSQL" in local.stdout
    assert "skipped" in local.stdout
    ci = _run(env=env | {"SYLLABUS_REQUIRE_MIGRATION_LINT": "1"})
    assert ci.returncode == 1
    assert "needs PostgreSQL" in ci.stderr
