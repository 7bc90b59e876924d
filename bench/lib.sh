# Shared by bench/smoke.sh (`make bench-smoke`), bench/run.sh (`make bench`) and bench/quiz.sh
# (`make bench-quiz`): a scratch
# PostgreSQL database, a production-mode environment, and a worker and `syllabus serve` on
# a free 127.0.0.1 port, stopped by an exit trap (also on Ctrl+C). Source it after setting
# `repo`, `bin`, `bench_name` (for log lines) and `work` (a folder for logs and state).
#
#   bench_database NAME REUSE    sets db_url; REUSE=1 keeps an existing database
#   bench_environment ENV_FILE   writes (or, when it exists and is kept, reads) the env file
#   bench_start PORT CLASS       a worker and the server; sets server_pid and worker_pid
#   bench_finish STATUS          after Locust: meta, summary, exit with Locust's status
#
# Server and worker logs go to $work/server.log and $work/worker.log; their last lines are
# printed when the script fails.

admin_url="${BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
redis_url="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/3}"
bench_started=$(date +%s)
pids=()
cleanup_work=""  # a temporary folder to remove on exit

bench_log() { printf '== %s: %s (%ss)\n' "$bench_name" "$*" "$(( $(date +%s) - bench_started ))"; }

bench_cleanup() {
  local status=$?
  # The sampler and other helpers first (they watch the server), then worker and server.
  local i
  for (( i=${#pids[@]}-1; i>=0; i-- )); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] && [ "${bench_show_logs:-1}" = 1 ]; then
    for f in server worker; do
      [ -s "$work/$f.log" ] && { echo "-- last lines of the $f's log:"; tail -n 30 "$work/$f.log"; }
    done
  fi
  [ -n "$cleanup_work" ] && rm -rf "$cleanup_work"
  exit "$status"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# A scratch database on the server of BENCH_POSTGRES_URL. Prints nothing; sets db_url and
# db_reused (1 when REUSE=1 and the database was there already).
bench_database() {
  local name="$1" reuse="$2" out
  out="$("$bin/python" - "$admin_url" "$name" "$reuse" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg

admin, name, reuse = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
with psycopg.connect(admin, autocommit=True) as db:
    exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    if not (reuse and exists):
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
print(int(bool(reuse and exists)), urlunsplit(urlsplit(admin)._replace(path=f"/{name}", query="")))
PY
)"
  db_reused="${out%% *}"
  db_url="${out#* }"
}

# Production mode on plain HTTP over loopback (no TLS terminator in front). Simulated
# people share accounts when there are more users than accounts, so the sign-in and API
# limits are raised as well. A kept
# env file keeps its secret key and field keys: the reused database's encrypted fields
# and sessions need them.
bench_environment() {
  local env_file="$1"
  if [ ! -s "$env_file" ]; then
    {
      echo "DATABASE_URL=$db_url"
      echo "SYLLABUS_DATA_DIR=$(dirname "$env_file")/data"
      echo "SYLLABUS_SECRET_KEY=$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
      echo "SYLLABUS_FIELD_KEYS=$(SYLLABUS_DEBUG=true SYLLABUS_DATA_DIR="$work/keygen" "$bin/syllabus" generate-field-key)"
    } > "$env_file"
  fi
  set -a; . "$env_file"; set +a
  export REDIS_URL="$redis_url"
  export SYLLABUS_DEBUG=false SYLLABUS_ALLOWED_HOSTS=127.0.0.1,localhost SYLLABUS_LOG_LEVEL=warning
  # Simulated people send X-Forwarded-For with an address each (bench/locustfile.py).
  export SYLLABUS_TRUSTED_PROXY_COUNT=1
  export SYLLABUS_RATE_LIMIT_AUTH=100000/minute SYLLABUS_RATE_LIMIT_API=100000/minute
  # Demo instructors have no MFA: a reused database must not pass their grace period.
  export SYLLABUS_MFA_GRACE_DAYS=365
  mkdir -p "$SYLLABUS_DATA_DIR"
  # make bench, bench-quiz and bench-smoke share the Redis database, and cache keys hold
  # row ids: a key left by another run's database (the current privacy policies of the
  # demo data, say) would be read as this one's. Every run starts with it empty.
  "$bin/python" -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).flushdb()' "$redis_url"
}

# A job worker and the server (CLASS: gthread, sync or asgi; workers and threads from
# SYLLABUS_WEB_WORKERS / SYLLABUS_WEB_THREADS) on 127.0.0.1:PORT, ready when this returns.
bench_start() {
  local port="$1" class="$2"
  "$bin/syllabus" worker > "$work/worker.log" 2>&1 & worker_pid=$!
  pids+=("$worker_pid")
  "$bin/syllabus" serve --bind "127.0.0.1:$port" --worker-class "$class" > "$work/server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 240); do
    if "$bin/python" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:$port/health/ready', timeout=2).status != 200)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "the server stopped" >&2; exit 1; }
    sleep 0.5
  done
  echo "the server did not answer /health/ready within 2 minutes" >&2
  exit 1
}

# After Locust: stop the sampler, finish meta.json, gzip the per-second history (4 MB for
# 10 minutes of 10,000 users), write the summary (BENCH_APPEND=1: also into RESULTS.md),
# and exit with Locust's STATUS. Needs out, sampler_pid and repo.
bench_finish() {
  local status="$1"
  kill -TERM "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  if [ -f "$out/locust_stats_history.csv" ]; then gzip -9 -f "$out/locust_stats_history.csv"; fi
  "$bin/python" bench/meta.py "$out/meta.json" --finish "$status"
  local append=()
  [ "${BENCH_APPEND:-0}" = 1 ] && append=(--append bench/RESULTS.md)
  "$bin/python" bench/summarize.py "$out" "${append[@]}"
  bench_log "results in ${out#"$repo"/}"
  bench_show_logs=0  # failed requests are in the summary: the server's log is not the story
  exit "$status"
}

bench_free_port() {
  "$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
