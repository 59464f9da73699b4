#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster on loopback for the test suite and prints the URL.
#   eval "$(scripts/test-postgres.sh start)"   → exports CALLTRAIL_TEST_DATABASE_URL
#   scripts/test-postgres.sh stop
# Needs Debian's postgresql-15 (apt-get install postgresql-15). Runs the server as the postgres user.
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DIR=${CALLTRAIL_TEST_PG_DIR:-/tmp/calltrail-test-pg}
PORT=${CALLTRAIL_TEST_PG_PORT:-54329}
RUN_AS=()
if [ "$(id -u)" = 0 ]; then RUN_AS=(runuser -u postgres --); fi

case "${1:-start}" in
  start)
    if [ ! -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
      "${RUN_AS[@]}" "$BIN/initdb" -D "$DIR" -U calltrail --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >> "$DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
CONF
    fi
    if ! "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start >/dev/null
    fi
    echo "export CALLTRAIL_TEST_DATABASE_URL=postgres://calltrail@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
