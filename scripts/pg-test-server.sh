#!/usr/bin/env bash
# Throwaway PostgreSQL/PostGIS server on loopback for the store tests.
#
#   scripts/pg-test-server.sh start        -> prints two lines: the DSN and the server's directory
#   scripts/pg-test-server.sh stop DIR     -> stops the server and deletes DIR
#
# initdb into a fresh temp directory, pg_ctl start on a free port (127.0.0.1 only, trust auth for
# the local superuser), socket in the same directory. initdb refuses root: as root the server runs as
# the 'postgres' user (runuser). Needs the Debian packages postgresql and postgresql-15-postgis-3.
# Exit 3 when the PostgreSQL binaries are missing (the tests then skip), 1 on other failures.
set -euo pipefail

find_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")" && return
  return 1
}

as_owner() {  # run a command as the server's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

cmd=${1:-}
case "$cmd" in
start)
  bindir=$(find_bindir) || { echo "pg-test-server: PostgreSQL binaries (initdb, pg_ctl) not found" >&2; exit 3; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "pg-test-server: running as root and there is no 'postgres' user to run the server" >&2; exit 1
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/greenmap-pg.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60" \
        >/dev/null 2>&1; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres"
      echo "$dir"
      exit 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  rm -rf "$dir"
  exit 1
  ;;
stop)
  dir=${2:?usage: pg-test-server.sh stop DIR}
  case "$dir" in */greenmap-pg.*) ;; *) echo "pg-test-server: refusing to remove $dir" >&2; exit 1;; esac
  bindir=$(find_bindir) || exit 3
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2; exit 2
  ;;
esac
