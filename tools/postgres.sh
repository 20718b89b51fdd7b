#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for tests.
#
#   tools/postgres.sh start DIR [PORT]   initdb + start; prints the SQLAlchemy URL
#   tools/postgres.sh stop DIR           stop the cluster started in DIR
#   tools/postgres.sh url DIR            print the URL again
#
# Runs the server as the 'postgres' user (PostgreSQL refuses to run as root), listening on
# 127.0.0.1 only, with a random password. Ends only the server it started.
set -euo pipefail
cmd=${1:?start|stop|url}; dir=${2:?DIR}; port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x "$bin/initdb" ]] || { echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 2; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  mkdir -p "$dir"; dir=$(readlink -f "$dir")
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
    echo "$pw" > "$dir/pwfile"; chmod 600 "$dir/pwfile"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U stratus --pwfile="$dir/pwfile" -A scram-sha-256 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$port" > "$dir/port"
  fi
  port=$(cat "$dir/port")
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  echo "postgresql+psycopg://stratus:$(cat "$dir/pwfile")@127.0.0.1:$port/postgres"
  ;;
stop)
  [[ -f "$dir/data/postmaster.pid" ]] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  ;;
url)
  echo "postgresql+psycopg://stratus:$(cat "$dir/pwfile")@127.0.0.1:$(cat "$dir/port")/postgres"
  ;;
*) echo "usage: $0 start|stop|url DIR [PORT]" >&2; exit 2;;
esac
