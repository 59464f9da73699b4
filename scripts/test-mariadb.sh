#!/usr/bin/env bash
# Starts a throwaway MariaDB server on loopback for the SQL pull tests and prints the URL.
#   eval "$(scripts/test-mariadb.sh start)"   → exports CALLTRAIL_TEST_MYSQL_URL
#   scripts/test-mariadb.sh stop
# Needs Debian's mariadb-server (apt-get install mariadb-server). Runs the server as the mysql user
# when started by root. The user calltrail@127.0.0.1 logs in without a password and owns the
# calltrail_test database (and may create others for scratch use).
set -euo pipefail
DIR=${CALLTRAIL_TEST_MYSQL_DIR:-/tmp/calltrail-test-mariadb}
PORT=${CALLTRAIL_TEST_MYSQL_PORT:-33069}
SOCKET="$DIR/mysqld.sock"
RUN_AS=()
USER_ARGS=()
if [ "$(id -u)" = 0 ]; then
  RUN_AS=(runuser -u mysql --)
  USER_ARGS=(--user=mysql)
fi

client() {
  mariadb --no-defaults --socket="$SOCKET" -uroot "$@"
}

case "${1:-start}" in
  start)
    if [ ! -d "$DIR/data/mysql" ]; then
      mkdir -p "$DIR/data"
      [ "$(id -u)" = 0 ] && chown -R mysql: "$DIR"
      "${RUN_AS[@]}" mariadb-install-db --no-defaults --auth-root-authentication-method=normal \
        --datadir="$DIR/data" --skip-test-db >"$DIR/install.log" 2>&1
    fi
    if ! client -e 'SELECT 1' >/dev/null 2>&1; then
      "${RUN_AS[@]}" mariadbd --no-defaults "${USER_ARGS[@]}" --datadir="$DIR/data" --socket="$SOCKET" \
        --pid-file="$DIR/mysqld.pid" --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=256M --max-connections=200 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --log-error="$DIR/server.log" >/dev/null 2>&1 &
      for _ in $(seq 1 120); do
        client -e 'SELECT 1' >/dev/null 2>&1 && break
        sleep 0.5
      done
      client -e 'SELECT 1' >/dev/null || { echo "mariadbd did not start; see $DIR/server.log" >&2; exit 1; }
    fi
    client <<'SQL'
CREATE DATABASE IF NOT EXISTS calltrail_test;
CREATE USER IF NOT EXISTS 'calltrail'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'calltrail'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
    echo "export CALLTRAIL_TEST_MYSQL_URL=mysql://calltrail@127.0.0.1:$PORT/calltrail_test"
    ;;
  stop)
    if [ -f "$DIR/mysqld.pid" ]; then
      client -e 'SHUTDOWN' >/dev/null 2>&1 || kill "$(cat "$DIR/mysqld.pid")" 2>/dev/null || true
      for _ in $(seq 1 60); do
        [ -f "$DIR/mysqld.pid" ] || break
        sleep 0.5
      done
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
