#!/bin/bash
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d):
# a login role for streaming replication, the replica's physical replication slot (the
# primary keeps the WAL the replica has not received yet, seed 3.2), and a pg_hba.conf
# line letting the replica connect for replication with a password (SCRAM).
set -euo pipefail
password="$(cat "$REPLICATION_PASSWORD_FILE")"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=pw="$password" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SELECT pg_create_physical_replication_slot('replica1');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
