#!/usr/bin/env bash
# Rollback drill: prove a release can be rolled back on a database holding data, with the
# exact commands of docs/runbooks/rollback.md, and time each step.
#
#   deploy/scripts/rollback-drill.sh                       # SQLite in a temporary folder
#   deploy/scripts/rollback-drill.sh --database-url postgres://postgres@127.0.0.1:5432/drill
#
# 1. migrate and load the demo data (the release being deployed, "N");
# 2. record each Syllabus app's migration state, and the previous release's ("N-1": the
#    state before each app's newest migration);
# 3. roll the database back to N-1 with `syllabus migrate <app> <migration>` (newest
#    migrations reversed with the demo data in place), check the data survived;
# 4. upgrade again (`syllabus migrate`, then `syllabus demo` to upgrade the demo data),
#    check the data and that nothing is pending; roll back to N-1 once more and forward.
# The database must be empty at the start: a drill never runs on a database with data of
# its own (reversing migrations drops the columns and tables they added).
# Exit status 0 when every step and check passed; the last line says "rollback drill passed".
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
database_url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --database-url) database_url="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "rollback-drill.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

# The syllabus command and its Python: the checkout's .venv when there is one.
if [ -x "$repo/.venv/bin/syllabus" ]; then
  syllabus="$repo/.venv/bin/syllabus"; python="$repo/.venv/bin/python"
else
  syllabus="$(command -v syllabus)"; python="$(dirname "$syllabus")/python"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/syllabus-rollback-drill.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR="$work/data" SYLLABUS_JOBS_IMMEDIATE=true
export SYLLABUS_LOG_LEVEL=warning DJANGO_SETTINGS_MODULE=syllabus.config.settings
unset REDIS_URL DATABASE_REPLICA_URLS
if [ -n "$database_url" ]; then export DATABASE_URL="$database_url"; else unset DATABASE_URL; fi

started=$(date +%s.%N)
step() { printf '\n== %s\n' "$*"; }
elapsed() { "$python" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }
timed() {  # timed LABEL command...
  local t0; t0=$(date +%s.%N)
  "${@:2}"
  printf 'time: %-34s %6s s\n' "$1" "$(elapsed "$t0")"
}

quiet() { "$@" >/dev/null; }

# Python helpers run inside Syllabus's settings.
py() { "$python" -c "import django; django.setup()
$1" "${@:2}"; }

step "the database must be empty"
py '
import sys
from django.db import connection
tables = connection.introspection.table_names()
if tables:
    sys.exit(f"rollback-drill.sh: the database has {len(tables)} tables; use an empty one")
print("empty:", connection.vendor)
'

step "release N: migrate and load the demo data"
timed "migrate (empty -> N)" "$syllabus" migrate --noinput -v 0
timed "demo data" quiet "$syllabus" demo -v 0

# Each Syllabus app's newest migration (release N), and the previous release's state
# (N-1): the newest migration of every app undone where no other migration depends on it
# (a consistent state Django can be in) and the app keeps an earlier one.
state() { py '
import sys
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
graph = MigrationLoader(connection).graph
ours = sorted(c.label for c in apps.get_app_configs() if c.name.startswith("syllabus."))
leaves = {}
for app in ours:
    found = graph.leaf_nodes(app)
    if found:
        assert len(found) == 1, f"{app} has {len(found)} leaf migrations"
        leaves[app] = found[0]
ends = {n for n in graph.nodes if not graph.node_map[n].children}  # nothing depends on them
undo = {
    leaf for leaf in leaves.values()
    if leaf in ends and any(p.key[0] == leaf[0] for p in graph.node_map[leaf].parents)
}
for app, leaf in leaves.items():
    if sys.argv[1] == "N":
        print(app, leaf[1])
        continue
    keep = [node for node in graph.forwards_plan(leaf) if node[0] == app and node not in undo]
    print(app, keep[-1][1] if keep else "zero")
' "$1"; }
state N > "$work/release-N.txt"
state N-1 > "$work/release-N-1.txt"
echo "release N:   $(tr '\n' ' ' < "$work/release-N.txt")"
echo "release N-1: $(tr '\n' ' ' < "$work/release-N-1.txt")"

# Rows that must survive every rollback: people, courses, enrolments, progress, audit.
counts() { py '
from django.apps import apps
for label in ("accounts.User", "courses.Course", "courses.Enrollment", "audit.AuditEvent"):
    try:
        model = apps.get_model(label)
    except LookupError:
        continue
    print(label, model.objects.count())
'; }
counts > "$work/counts-N.txt"
cat "$work/counts-N.txt"

rollback() {  # the runbook's `syllabus migrate <app> <migration>` for each app, in one process
  py '
import sys
from django.core.management import call_command
for line in open(sys.argv[1]):
    app, migration = line.split()
    call_command("migrate", app, migration, interactive=False, verbosity=0)
' "$1"
}

check_rolled_back() {
  # Django reports the newest migrations as pending again, and nothing else moved.
  if "$syllabus" migrate --check -v 0 >/dev/null 2>&1; then
    if ! diff -q "$work/release-N.txt" "$work/release-N-1.txt" >/dev/null; then
      echo "rollback-drill.sh: nothing is pending after the rollback" >&2; exit 1
    fi
  fi
  py '
import sys
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
applied = set(MigrationRecorder(connection).applied_migrations())
for line in open(sys.argv[1]):
    app, name = line.split()
    if name != "zero" and (app, name) not in applied:
        sys.exit(f"rollback-drill.sh: {app} {name} should be applied after the rollback")
' "$work/release-N-1.txt"
  counts > "$work/counts-now.txt"
  diff -u "$work/counts-N.txt" "$work/counts-now.txt"
  echo "rolled back to N-1; data intact"
}

check_upgraded() {
  "$syllabus" migrate --check -v 0
  counts > "$work/counts-now.txt"
  diff -u "$work/counts-N.txt" "$work/counts-now.txt"
  "$syllabus" check -v 0 >/dev/null
  echo "upgraded to N; nothing pending; data intact"
}

step "roll back to N-1 (syllabus migrate <app> <migration>)"
timed "roll back N -> N-1" rollback "$work/release-N-1.txt"
check_rolled_back

step "upgrade to N again, and the demo data"
timed "migrate (N-1 -> N)" "$syllabus" migrate --noinput -v 0
timed "demo data upgrade" quiet "$syllabus" demo -v 0
check_upgraded

step "roll back to N-1 again, and forward"
timed "roll back N -> N-1" rollback "$work/release-N-1.txt"
check_rolled_back
timed "migrate (N-1 -> N)" "$syllabus" migrate --noinput -v 0
check_upgraded

printf '\ntime: %-34s %6s s\n' "whole drill" "$(elapsed "$started")"
echo "rollback drill passed"
