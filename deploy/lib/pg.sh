# Shell functions for a private PostgreSQL cluster (sourced by up.sh, down.sh, tests/run.sh).
# Works as root too: initdb refuses root, so the cluster then belongs to the postgres user.

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] || { echo "PostgreSQL server binaries not found (install postgresql)" >&2; return 1; }
  echo "$d"
}

# The account that runs the cluster: the caller, or postgres when the caller is root.
pg_owner() {
  if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# As root the command runs from / : the postgres account usually cannot enter the caller's folder
# (/root/...), and PostgreSQL's tools would say so on every call. Paths given to it are absolute.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_datadir VAR_DIR: where the cluster lives. Normally VAR_DIR/pg; when the owner cannot
# reach VAR_DIR (a root-only home, say), the data goes to /var/tmp and VAR_DIR/pg links to it.
pg_datadir() {
  local var="$1" data="$1/pg"
  if [ -L "$data" ]; then readlink -f "$data"; return; fi
  if [ -d "$data" ]; then echo "$data"; return; fi
  mkdir -p "$var"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$var" 2>/dev/null; then
    local alt
    alt=/var/tmp/examd-pg-$(echo -n "$(readlink -f "$var")" | sha256sum | cut -c1-16)
    mkdir -p "$alt"
    ln -sfn "$alt" "$data"
    echo "$alt"
    return
  fi
  echo "$data"
}

# pg_init DATADIR AUTH: creates the cluster once. AUTH is trust or scram-sha-256 (for TCP).
pg_init() {
  local data="$1" auth="$2" bin
  bin=$(pg_bindir) || return 1
  if [ -f "$data/PG_VERSION" ]; then return 0; fi
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$data"; fi
  chmod 700 "$data"
  pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host="$auth" \
    -E UTF8 --locale=C.UTF-8 >/dev/null
}

# pg_start DATADIR PORT: starts it on 127.0.0.1:PORT unless running. Its Unix socket lives in
# DATADIR (mode 0700), so only the cluster's owner (and root) can use the trusted local path.
pg_start() {
  local data="$1" port="$2" bin
  bin=$(pg_bindir) || return 1
  if pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$data' -c unix_socket_permissions=0700 -c max_connections=200 -c fsync=${EXAMD_PG_FSYNC:-on}" \
    start >/dev/null
}

pg_stop() {
  local data="$1" bin
  bin=$(pg_bindir) || return 1
  if [ -f "$data/postmaster.pid" ]; then
    pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# pg_free_port: a TCP port nothing listens on.
pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# pg_psql DATADIR PORT ARGS...: psql as the superuser over the cluster's private socket.
pg_psql() {
  local data="$1" port="$2" bin
  shift 2
  bin=$(pg_bindir) || return 1
  pg_as_owner "$bin/psql" -h "$data" -p "$port" -U postgres "$@"
}
