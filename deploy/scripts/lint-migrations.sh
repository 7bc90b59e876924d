#!/usr/bin/env bash
# Lint Syllabus's migrations for changes that are unsafe while the previous release
# still serves (expand/contract): NOT NULL columns without a database default, dropped or
# renamed columns and tables, indexes built with a lock... (django-migration-linter).
# A CI gate (`make lint-migrations`, part of `make test`): warnings count as errors.
#
#   deploy/scripts/lint-migrations.sh                       # every Syllabus app
#   deploy/scripts/lint-migrations.sh --since <git commit>  # only migrations changed since
#   deploy/scripts/lint-migrations.sh --extra-app <module>  # also an app outside syllabus/
#
# The SQL is rendered by PostgreSQL, the production database (SQLite rebuilds whole
# tables for most changes, which the linter can only report as unsafe): the database of
# MIGRATION_LINT_DATABASE_URL, else DATABASE_URL when it is PostgreSQL. Nothing is
# written to it. Without either it says so and exits 0, unless
# SYLLABUS_REQUIRE_MIGRATION_LINT=1 (CI), where that is an error. Exit 1 when flagged.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="$repo/.venv/bin/python"; [ -x "$python" ] || python="$(command -v python3)"
since=""; extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --since) since="$2"; shift 2 ;;
    --extra-app) extra="$extra,$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "lint-migrations.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
url="${MIGRATION_LINT_DATABASE_URL:-}"
if [ -z "$url" ] && [[ "${DATABASE_URL:-}" == postgres* ]]; then url="$DATABASE_URL"; fi
if [ -z "$url" ]; then
  msg="lint-migrations: needs PostgreSQL to render the SQL (set MIGRATION_LINT_DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
  if [ "${SYLLABUS_REQUIRE_MIGRATION_LINT:-}" = 1 ]; then echo "$msg" >&2; exit 1; fi
  echo "$msg: skipped"; exit 0
fi
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$repo"
env -u REDIS_URL -u DATABASE_REPLICA_URLS DATABASE_URL="$url" \
  SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR="$work" SYLLABUS_LOG_LEVEL=warning \
  DJANGO_SETTINGS_MODULE=syllabus.config.settings "$python" - "$since" "$extra" <<'PY'
import sys

import django
from django.conf import settings

extra = [name for name in sys.argv[2].split(",") if name]
settings.INSTALLED_APPS += ["django_migration_linter", *extra]  # dev tool, not in production
django.setup()
from django.apps import apps
from django.core.management import call_command

from django_migration_linter import MigrationLinter

# Reviewed exceptions, each with its reason. Add one only with a reason a reviewer can
# check, and prefer fixing the migration (syllabus/core/migration_ops.py has the tools).
IGNORED = {
    # Contract step of encrypting phone numbers: the plaintext copy in the user history
    # is personal data and must not survive the upgrade, so the column is dropped in the
    # same release (and accounts_user.phone_number widened for the ciphertext, a
    # metadata-only change). Run the migrate Job before the rollout, as
    # docs/runbooks/deploy.md says: a previous-release pod that saves a user between the
    # migration and its replacement gets an error for that one save.
    ("accounts", "0003_personal_details_encrypted_phone"),
    # A false positive: the partial index privacy_request_open_due is on a table created
    # in the same migration, but the linter reads its "WHERE ... IN (" as the table name.
    ("privacy", "0001_initial"),
}
should_ignore = MigrationLinter.should_ignore_migration


def should_ignore_migration(self, app_label, migration_name, *args, **kwargs):
    if (app_label, migration_name) in IGNORED:
        return True
    return should_ignore(self, app_label, migration_name, *args, **kwargs)


MigrationLinter.should_ignore_migration = should_ignore_migration
ours = [
    c.label
    for c in apps.get_app_configs()
    if c.name.startswith("syllabus.") or c.name in extra
]
options = {
    "include_apps": ours,
    "verbosity": 1,
    "no_cache": True,
    "warnings_as_errors": [],  # every warning (an index built with a lock) fails
}
if sys.argv[1]:
    options["git_commit_id"] = sys.argv[1]
call_command("lintmigrations", **options)
PY
