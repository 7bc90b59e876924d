#!/usr/bin/env bash
# Lint Syllabus's migrations for changes that are unsafe while the previous release
# still serves (expand/contract): NOT NULL columns without defaults, dropped or renamed
# columns and tables, unique constraints added to full tables... (django-migration-linter).
#
#   deploy/scripts/lint-migrations.sh                       # every Syllabus app
#   deploy/scripts/lint-migrations.sh --since <git commit>  # only migrations changed since
#
# Uses DATABASE_URL's engine to render the SQL when set (PostgreSQL gives the most
# accurate answer), else SQLite. Exit status 1 when a migration is flagged.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="$repo/.venv/bin/python"; [ -x "$python" ] || python="$(command -v python3)"
since=""
while [ $# -gt 0 ]; do
  case "$1" in
    --since) since="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "lint-migrations.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$repo"
SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR="$work" SYLLABUS_LOG_LEVEL=warning \
  DJANGO_SETTINGS_MODULE=syllabus.config.settings "$python" - "$since" <<'PY'
import sys
from django.conf import settings
import django

settings.INSTALLED_APPS.append("django_migration_linter")  # a dev tool, not in production
django.setup()
from django.apps import apps
from django.core.management import call_command

ours = [c.label for c in apps.get_app_configs() if c.name.startswith("syllabus.")]
options = {"include_apps": ours, "verbosity": 1, "no_cache": True}
if sys.argv[1]:
    options["git_commit_id"] = sys.argv[1]
call_command("lintmigrations", **options)
PY
