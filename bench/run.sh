#!/usr/bin/env bash
# The benchmark (`make bench`, bench/README.md): a production-mode Syllabus (`syllabus
# serve`, DEBUG off, PostgreSQL + Redis, a worker) on a free 127.0.0.1 port with
# `syllabus demo --scale` data, bench/locustfile.py's users headless, the server's CPU and
# memory sampled (bench/sampler.py), and a summary (bench/summarize.py). Everything goes to
# bench/results/<UTC stamp>-<server>/ (committed with the code it measured):
#   locust_stats.csv, locust_stats_history.csv.gz, locust_failures.csv, locust_exceptions.csv,
#   resources.csv, meta.json, summary.md, locust.log (and peak_steps.csv in peak mode).
#
#   make bench                                              # the issue's run: long
#   BENCH_LEARNERS=200 BENCH_COURSES=5 BENCH_USERS=20 BENCH_TIME=30s make bench
#   BENCH_REUSE_DB=1 BENCH_SERVER=sync make bench           # same data, another server
#   BENCH_MODE=peak BENCH_USERS=2000 BENCH_TIME=30m make bench
#
# Settings (environment):
#   BENCH_LEARNERS (100000), BENCH_COURSES (1000)  the data: syllabus demo --scale --courses
#   BENCH_REUSE_DB=1       keep database "bench" and var/bench/state/ from the last run, and
#                          skip the data load when it was for the same learners and courses
#   BENCH_SERVER           gthread (default), sync or asgi; SYLLABUS_WEB_WORKERS and
#                          SYLLABUS_WEB_THREADS as for `syllabus serve`
#   BENCH_USERS (10000), BENCH_SPAWN_RATE (20 per s), BENCH_TIME (10m)
#   BENCH_WAIT_MIN (15), BENCH_WAIT_MAX (45)   seconds between a user's actions (mean 30)
#   BENCH_MODE             steady (default) or peak: steps of users (bench/peak_shape.py:
#                          BENCH_PEAK_START, BENCH_PEAK_STEP, BENCH_PEAK_STEP_TIME, ...)
#   BENCH_APPEND=1         also append the summary to bench/RESULTS.md
#   BENCH_SAMPLE_SECONDS (2) between CPU/memory samples
#   BENCH_POSTGRES_URL, BENCH_REDIS_URL        as for bench/smoke.sh
# Exits with Locust's status: 1 when a request failed (the summary is written either way).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/.venv/bin"
bench_name=bench

learners="${BENCH_LEARNERS:-100000}"
courses="${BENCH_COURSES:-1000}"
server="${BENCH_SERVER:-gthread}"
mode="${BENCH_MODE:-steady}"
users="${BENCH_USERS:-10000}"
spawn_rate="${BENCH_SPAWN_RATE:-20}"
run_time="${BENCH_TIME:-10m}"
wait_min="${BENCH_WAIT_MIN:-15}"
wait_max="${BENCH_WAIT_MAX:-45}"
reuse="${BENCH_REUSE_DB:-0}"
case "$server" in gthread|sync|asgi) ;; *) echo "BENCH_SERVER must be gthread, sync or asgi; got '$server'" >&2; exit 2 ;; esac
case "$mode" in steady|peak) ;; *) echo "BENCH_MODE must be steady or peak; got '$mode'" >&2; exit 2 ;; esac
for n in learners courses users; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_${n^^} must be a whole number of at least 1; got '${!n}'" >&2; exit 2; }
done

state="$repo/var/bench/state"  # env file (keys of the reused database), media, logs
work="$state"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$repo/bench/results/$stamp-$server"
. "$repo/bench/lib.sh"
log() { bench_log "$@"; }

cd "$repo"
[ "$reuse" = 1 ] || rm -rf "$state"
mkdir -p "$state" "$out"
bench_database bench "$reuse"
if [ "$db_reused" = 1 ] && [ ! -s "$state/env" ]; then
  log "no saved environment for the kept database: loading it again"
  bench_database bench 0
fi
bench_environment "$state/env"

log "migrate PostgreSQL database bench$([ "$db_reused" = 1 ] && echo ' (kept)')"
"$bin/syllabus" migrate --noinput -v 0 > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
loaded="$learners learners, $courses courses"
if [ "$db_reused" = 1 ] && [ "$(cat "$state/loaded" 2>/dev/null)" = "$loaded" ]; then
  log "data already loaded ($loaded)"
else
  rm -f "$state/loaded"
  log "load the demo data: $loaded"
  # On a terminal the command shows its own progress bar; otherwise its output is logged.
  if [ -t 1 ]; then
    "$bin/syllabus" demo --scale "$learners" --courses "$courses"
  else
    "$bin/syllabus" demo --scale "$learners" --courses "$courses" > "$work/demo.log" 2>&1 \
      || { tail -n 40 "$work/demo.log"; exit 1; }
  fi
  echo "$loaded" > "$state/loaded"
fi
"$bin/python" bench/scenario_data.py --out "$state/scenarios.json" --learners "$users"

port="$(bench_free_port)"
log "start a worker and the $server server on 127.0.0.1:$port"
bench_start "$port" "$server"
"$bin/python" bench/sampler.py --pid "$server_pid" --worker-pid "$worker_pid" --out "$out/resources.csv" \
  --interval "${BENCH_SAMPLE_SECONDS:-2}" > "$work/sampler.log" 2>&1 &
sampler_pid=$!
pids+=("$sampler_pid")

locustfiles=bench/locustfile.py
[ "$mode" = peak ] && locustfiles=bench/locustfile.py,bench/peak_shape.py
load=(-u "$users" -r "$spawn_rate")
[ "$mode" = peak ] && load=()  # the shape sets users and spawn rate
locust_command=("$bin/locust" -f "$locustfiles" --headless "${load[@]}"
  --run-time "$run_time" --host "http://127.0.0.1:$port" --stop-timeout 30
  --csv "$out/locust" --csv-full-history --only-summary --loglevel WARNING)
settings="$(env | { grep -E '^(BENCH_|SYLLABUS_WEB_|SYLLABUS_JOBS_)' || true; } | sort | tr '\n' ' ')"
command="${settings}make bench"
reused=()
[ "$db_reused" = 1 ] && reused=(--reused-data)
BENCH_META_COMMAND="$command" "$bin/python" bench/meta.py "$out/meta.json" --stamp "$stamp" \
  --server "$server" --scenario "$mode" --users "$users" --spawn-rate "$spawn_rate" \
  --run-time "$run_time" --wait-min "$wait_min" --wait-max "$wait_max" \
  --learners "$learners" --courses "$courses" "${reused[@]}" -- "${locust_command[@]}"

log "locust ($mode): $users users, $spawn_rate/s, for $run_time, $wait_min-$wait_max s between actions"
BENCH_DATA="$state/scenarios.json" BENCH_WAIT_MIN="$wait_min" BENCH_WAIT_MAX="$wait_max" \
  BENCH_USERS="$users" BENCH_SPAWN_RATE="$spawn_rate" BENCH_PEAK_CSV="$out/peak_steps.csv" \
  "${locust_command[@]}" > "$out/locust.log" 2>&1 || locust_status=$?
bench_finish "${locust_status:-0}"
