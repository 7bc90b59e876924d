#!/bin/sh
# The streaming replica of deploy/docker/compose.yml. On first start (an empty data
# directory) it copies the primary with pg_basebackup -R, which also writes
# standby.signal and primary_conninfo, streaming through the replication slot the
# primary's init script made; then it starts PostgreSQL as a hot standby (read-only).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  PGPASSWORD="$(cat "$REPLICATION_PASSWORD_FILE")"
  export PGPASSWORD
  echo "replica: waiting for ${PRIMARY_HOST}"
  until pg_isready -q -h "$PRIMARY_HOST" -p 5432; do sleep 1; done
  echo "replica: copying the primary (pg_basebackup)"
  pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" \
    -R -X stream -S "$REPLICATION_SLOT" --checkpoint=fast
  unset PGPASSWORD
  chmod 0700 "$PGDATA"
fi
exec docker-entrypoint.sh "$@"
