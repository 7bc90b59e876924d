#!/usr/bin/env bash
# The quiz start benchmark (`make bench-quiz`, issue #5): a production-mode Syllabus
# (`syllabus serve`, DEBUG off, PostgreSQL + Redis, a worker) on a free 127.0.0.1 port,
# `syllabus bench_quiz_setup` data (one timed quiz of 10 questions, N enrolled learners
# with ready sessions), and bench/quiz_locustfile.py: every learner opens the quiz, starts
# it (all within BENCH_QUIZ_LEARNERS / BENCH_QUIZ_SPAWN_RATE seconds), answers the 10
# questions with autosave and submits once. Results go to
# bench/results/<UTC stamp>-quiz-<server>/ like `make bench`'s (bench/summarize.py judges
# the issue's target: no errors, p95 under 500 ms for autosave and submit).
#
#   make bench-quiz                                   # 500 learners within 10 s
#   BENCH_SERVER=sync SYLLABUS_WEB_WORKERS=4 make bench-quiz
#   QUIZ_BENCH_THINK_MIN=1 QUIZ_BENCH_THINK_MAX=4 make bench-quiz   # the stress variant
#
# Settings (environment):
#   BENCH_QUIZ_LEARNERS (500), BENCH_QUIZ_SPAWN_RATE (50 per s)
#   QUIZ_BENCH_THINK_MIN, QUIZ_BENCH_THINK_MAX   seconds before each answer (see the
#                          locustfile for the defaults)
#   BENCH_SERVER           gthread (default, as for `syllabus serve`), sync or asgi;
#                          SYLLABUS_WEB_WORKERS and SYLLABUS_WEB_THREADS as for the server
#   SYLLABUS_JOBS_NICE     the job worker's CPU priority, as for `syllabus worker`
#   BENCH_APPEND=1         also append the summary to bench/RESULTS.md
#   BENCH_POSTGRES_URL, BENCH_REDIS_URL        as for bench/smoke.sh
# The database "quizbench" is dropped and made again on every run. Exits with Locust's
# status: 1 when a request failed (the summary is written either way).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/.venv/bin"
bench_name=bench-quiz

learners="${BENCH_QUIZ_LEARNERS:-500}"
spawn_rate="${BENCH_QUIZ_SPAWN_RATE:-50}"
[[ "$learners" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_QUIZ_LEARNERS must be a whole number of at least 1; got '$learners'" >&2; exit 2; }
work="$(mktemp -d)"
. "$repo/bench/lib.sh"
cleanup_work="$work"
log() { bench_log "$@"; }
server="${BENCH_SERVER:-gthread}"
case "$server" in gthread|sync|asgi) ;; *) echo "BENCH_SERVER must be gthread, sync or asgi; got '$server'" >&2; exit 2 ;; esac
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$repo/bench/results/$stamp-quiz-$server"

cd "$repo"
mkdir -p "$out"
bench_database quizbench 0
bench_environment "$work/env"
log "migrate a scratch PostgreSQL database (quizbench)"
"$bin/syllabus" migrate --noinput -v 0 > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
log "one timed quiz, $learners learners with sessions"
"$bin/syllabus" bench_quiz_setup --learners "$learners" --out "$work/quiz" > "$work/setup.log" 2>&1 \
  || { cat "$work/setup.log"; exit 1; }

port="$(bench_free_port)"
log "start a worker and the $server server on 127.0.0.1:$port"
bench_start "$port" "$server"
"$bin/python" bench/sampler.py --pid "$server_pid" --worker-pid "$worker_pid" \
  --out "$out/resources.csv" --interval 1 > "$work/sampler.log" 2>&1 &
sampler_pid=$!
pids+=("$sampler_pid")

locust_command=("$bin/locust" -f bench/quiz_locustfile.py --headless -u "$learners"
  -r "$spawn_rate" --run-time 10m --stop-timeout 60 --host "http://127.0.0.1:$port"
  --csv "$out/locust" --csv-full-history --only-summary --loglevel WARNING)
settings="$(env | { grep -E '^(BENCH_|QUIZ_BENCH_|SYLLABUS_WEB_|SYLLABUS_JOBS_)' || true; } | sort | tr '\n' ' ')"
# The locustfile's defaults, named here so that meta.json and the summary state them.
export QUIZ_BENCH_THINK_MIN="${QUIZ_BENCH_THINK_MIN:-10}" QUIZ_BENCH_THINK_MAX="${QUIZ_BENCH_THINK_MAX:-30}"
BENCH_META_COMMAND="${settings}make bench-quiz" QUIZ_BENCH_DATA="$work/quiz" \
  "$bin/python" bench/meta.py "$out/meta.json" --stamp "$stamp" --server "$server" \
  --scenario quiz --users "$learners" --spawn-rate "$spawn_rate" -- "${locust_command[@]}"

log "locust: $learners learners, $spawn_rate/s; each takes the quiz once, then stops"
QUIZ_BENCH_DATA="$work/quiz" "${locust_command[@]}" > "$out/locust.log" 2>&1 || locust_status=$?
bench_finish "${locust_status:-0}"
