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
# run. Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/3). BENCH_SERVER picks the
# worker class (gthread, sync, asgi). The server start is shared with bench/run.sh
# (`make bench`) in bench/lib.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/.venv/bin"
users="${BENCH_SMOKE_USERS:-10}"
run_time="${BENCH_SMOKE_TIME:-60s}"
bench_name=bench-smoke
work="$(mktemp -d)"
. "$repo/bench/lib.sh"
cleanup_work="$work"
log() { bench_log "$@"; }

cd "$repo"
bench_database bench_smoke 0
port="$(bench_free_port)"
bench_environment "$work/env"

log "migrate a scratch PostgreSQL database (bench_smoke)"
"$bin/syllabus" migrate --noinput -v 0 > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
log "load the demo data"
"$bin/syllabus" demo > "$work/demo.log" 2>&1 || { tail -n 40 "$work/demo.log"; exit 1; }
"$bin/python" bench/scenario_data.py --out "$work/scenarios.json"

log "start a worker and the server on 127.0.0.1:$port"
bench_start "$port" "${BENCH_SERVER:-gthread}"

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
