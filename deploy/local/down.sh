#!/usr/bin/env bash
# Stops examd and its private PostgreSQL cluster; keeps all data under $EXAMD_VAR_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/lib/pg.sh"
EXAMD_VAR_DIR=${EXAMD_VAR_DIR:-$root/var}
pid_file="$EXAMD_VAR_DIR/examd.pid"
if [ -f "$pid_file" ]; then
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pid_file"
  echo "examd stopped"
fi
if [ -e "$EXAMD_VAR_DIR/pg" ]; then
  pg_stop "$(pg_datadir "$EXAMD_VAR_DIR")"
  echo "PostgreSQL stopped (data kept in $EXAMD_VAR_DIR)"
fi
