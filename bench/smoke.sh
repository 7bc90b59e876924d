#!/usr/bin/env bash
# Benchmark smoke run (`make bench-smoke`, the last stage of .ci/run's PostgreSQL pass):
# a production-mode Syllabus (`syllabus serve`, DEBUG off, PostgreSQL + Redis, a worker)
# on a free 127.0.0.1 port with the demo data, and a minute of bench/locustfile.py's
# users (10 by default). Fails if any request failed or nothing ran. Not a timing test:
# the numbers are printed, never judged. Stops the server and the worker by itself.
#
#   bench/smoke.sh                                  # 10 users for 60 s
#   BENCH_SMOKE_USERS=20 BENCH_SMOKE_TIME=2m bench/smoke.sh
#
# PostgreSQL: a scratch database "bench_smoke" on the server of BENCH_POSTGRES_URL
# (default postgresql://postgres@127.0.0.1:5432/postgres), dropped and made again each
# run. Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/3).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/.venv/bin"
users="${BENCH_SMOKE_USERS:-10}"
run_time="${BENCH_SMOKE_TIME:-60s}"
admin_url="${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
redis_url="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/3}"
database=bench_smoke
started=$(date +%s)
log() { printf '== bench-smoke: %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

work="$(mktemp -d)"
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for f in server worker; do
      [ -s "$work/$f.log" ] && { echo "-- last lines of the $f's log:"; tail -n 30 "$work/$f.log"; }
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$repo"
db_url="$("$bin/python" - "$admin_url" "$database" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

admin, name = sys.argv[1], sys.argv[2]
with psycopg.connect(admin, autocommit=True) as db:
    db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    db.execute(f'CREATE DATABASE "{name}"')
print(urlunsplit(urlsplit(admin)._replace(path=f"/{name}", query="")))
PY
)"
port="$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# Production mode on plain HTTP over loopback (no TLS terminator in front). Every simulated
# user comes from 127.0.0.1, so the per-address sign-in and API limits are raised.
env_file="$work/env"
{
  echo "DATABASE_URL=$db_url"
  echo "REDIS_URL=$redis_url"
  echo "SYLLABUS_DEBUG=false"
  echo "SYLLABUS_ALLOWED_HOSTS=127.0.0.1,localhost"
  echo "SYLLABUS_DATA_DIR=$work/data"
  echo "SYLLABUS_SECRET_KEY=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
  echo "SYLLABUS_FIELD_KEYS=$(SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR="$work/keygen" "$bin/syllabus" generate-field-key)"
  echo "SYLLABUS_RATE_LIMIT_AUTH=100000/minute"
  echo "SYLLABUS_RATE_LIMIT_API=100000/minute"
  echo "SYLLABUS_LOG_LEVEL=warning"
} > "$env_file"
set -a; . "$env_file"; set +a
mkdir -p "$SYLLABUS_DATA_DIR"

log "migrate a scratch PostgreSQL database ($database)"
"$bin/syllabus" migrate --noinput -v 0 > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
log "load the demo data"
"$bin/syllabus" demo > "$work/demo.log" 2>&1 || { tail -n 40 "$work/demo.log"; exit 1; }
"$bin/python" bench/scenario_data.py --out "$work/scenarios.json"

log "start a worker and the server on 127.0.0.1:$port"
"$bin/syllabus" worker > "$work/worker.log" 2>&1 & pids+=($!)
"$bin/syllabus" serve --bind "127.0.0.1:$port" > "$work/server.log" 2>&1 & pids+=($!)
for _ in $(seq 120); do
  if "$bin/python" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/health/ready', timeout=2).status != 200)" 2>/dev/null; then
    break
  fi
  kill -0 "${pids[1]}" 2>/dev/null || { echo "the server stopped" >&2; exit 1; }
  sleep 0.5
done

log "locust: $users users for $run_time"
BENCH_DATA="$work/scenarios.json" BENCH_WAIT_MIN="${BENCH_WAIT_MIN:-1}" BENCH_WAIT_MAX="${BENCH_WAIT_MAX:-4}" \
  "$bin/locust" -f bench/locustfile.py --headless -u "$users" -r "$users" --run-time "$run_time" \
  --host "http://127.0.0.1:$port" --stop-timeout 15 --csv "$work/result" --only-summary \
  --exit-code-on-error 1 --loglevel WARNING > "$work/locust.log" 2>&1 || locust_status=$?
cat "$work/locust.log"

# Judge from the CSV too: a run where nothing was requested, or a failure Locust did not
# turn into its exit code, fails as well.
"$bin/python" - "$work/result_stats.csv" "$work/result_failures.csv" "${locust_status:-0}" <<'PY'
import csv
import sys

stats = list(csv.DictReader(open(sys.argv[1])))
failures = list(csv.DictReader(open(sys.argv[2])))
total = next(row for row in stats if row["Name"] == "Aggregated")
requests, failed = int(total["Request Count"]), int(total["Failure Count"])
names = {row["Name"] for row in stats}
expected = {"sign in", "dashboard", "lesson", "catalog", "api token", "gradebook"}
problems = []
if requests == 0:
    problems.append("no request was made")
if failed or failures:
    problems.append(f"{failed} failed requests")
    problems += [f"  {r['Method']} {r['Name']}: {r['Error']} ({r['Occurrences']}x)" for r in failures]
if missing := expected - names:
    problems.append(f"scenarios that never ran: {sorted(missing)}")
if sys.argv[3] != "0" and not problems:
    problems.append(f"locust exited with {sys.argv[3]}")
print(f"bench-smoke: {requests} requests, {failed} failed, {len(names) - 1} request names")
if problems:
    print("bench-smoke FAILED:\n" + "\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
log "passed"
