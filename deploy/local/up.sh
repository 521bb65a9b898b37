#!/usr/bin/env bash
# Starts examd locally: installs what is missing, builds, runs a private PostgreSQL cluster
# under $EXAMD_VAR_DIR, migrates, loads demo users (and banks), starts examd in the background.
# Idempotent: a second run keeps what runs and restarts whatever has died.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/lib/pg.sh"

export EXAMD_VAR_DIR=${EXAMD_VAR_DIR:-$root/var}
export EXAMD_HTTP_HOST=${EXAMD_HTTP_HOST:-127.0.0.1}
http_port_given=${EXAMD_HTTP_PORT:+1}
export EXAMD_HTTP_PORT=${EXAMD_HTTP_PORT:-8080}
export EXAMD_DEMO_DATA=${EXAMD_DEMO_DATA:-1}
pg_port_given=${EXAMD_PG_PORT:+1}
pg_port=${EXAMD_PG_PORT:-55432}

# port_busy PORT: whether something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port_from PORT: PORT or the next of the following 100 ports that nothing listens on.
free_port_from() {
  local p
  for p in $(seq "$1" $(($1 + 100))); do port_busy "$p" || { echo "$p"; return 0; }; done
  return 1
}
mkdir -p "$EXAMD_VAR_DIR"
EXAMD_VAR_DIR=$(cd "$EXAMD_VAR_DIR" && pwd)
env_file="$EXAMD_VAR_DIR/examd.env"

"$root/deploy/install-deps.sh" --runtime

echo "up: building examd" >&2
# The tests are not built here (their dependencies come with tests/run.sh); a build folder that
# tests/run.sh configured keeps its setting.
tests_opt=()
[ -f "$root/build/CMakeCache.txt" ] || tests_opt=(-DEXAMD_TESTS=OFF)
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${tests_opt[@]}" >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target examd >/dev/null

# The database: one password, made on the first run and kept in examd.env.
if [ -f "$env_file" ] && grep -q '^EXAMD_DB_PASSWORD=' "$env_file"; then
  db_password=$(sed -n 's/^EXAMD_DB_PASSWORD=//p' "$env_file")
  pg_port=$(sed -n 's/^EXAMD_PG_PORT=//p' "$env_file")
else
  db_password=$(openssl rand -hex 16)
fi
data=$(pg_datadir "$EXAMD_VAR_DIR")
fresh=0
[ -f "$data/PG_VERSION" ] || fresh=1
pg_init "$data" scram-sha-256
# Start it. When another program holds the port (a listener, or the local end of some outgoing
# connection, which a connect test does not see), take the next port unless the port was asked for.
for attempt in $(seq 1 20); do
  before=$(wc -l <"$data/server.log" 2>/dev/null || echo 0)
  if pg_start "$data" "$pg_port" 2>"$EXAMD_VAR_DIR/pg_start.err"; then break; fi
  if [ -z "$pg_port_given" ] && [ "$attempt" -lt 20 ] && \
     tail -n +$((before + 1)) "$data/server.log" 2>/dev/null | grep -q 'could not bind\|could not create any TCP/IP sockets'; then
    pg_port=$((pg_port + 1))
    echo "up: the usual PostgreSQL port is taken; trying $pg_port" >&2
    continue
  fi
  cat "$EXAMD_VAR_DIR/pg_start.err" >&2
  echo "up: PostgreSQL did not start; see $data/server.log" >&2
  tail -n 5 "$data/server.log" >&2 || true
  exit 1
done
rm -f "$EXAMD_VAR_DIR/pg_start.err"
if [ "$fresh" = 1 ] || ! pg_psql "$data" "$pg_port" -d postgres -Atqc \
     "SELECT 1 FROM pg_database WHERE datname = 'examd'" 2>/dev/null | grep -q 1; then
  pg_psql "$data" "$pg_port" -d postgres -q -v ON_ERROR_STOP=1 -v pw="$db_password" <<'SQL' >/dev/null
SELECT format('CREATE ROLE examd LOGIN PASSWORD %L', :'pw') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'examd') \gexec
CREATE DATABASE examd OWNER examd;
SQL
fi
# A port chosen on an earlier run (the usual one was taken) is kept.
if [ -z "$http_port_given" ] && [ -f "$env_file" ]; then
  saved=$(sed -n 's|^EXAMD_URL=http://[^:]*:\([0-9]*\)$|\1|p' "$env_file")
  [ -n "$saved" ] && export EXAMD_HTTP_PORT=$saved
fi
export EXAMD_DATABASE_URL="postgresql://examd:${db_password}@127.0.0.1:${pg_port}/examd"
export EXAMD_URL="http://${EXAMD_HTTP_HOST}:${EXAMD_HTTP_PORT}"
umask 077
cat > "$env_file" <<ENV
EXAMD_DATABASE_URL=$EXAMD_DATABASE_URL
EXAMD_URL=$EXAMD_URL
EXAMD_PG_PORT=$pg_port
EXAMD_DB_PASSWORD=$db_password
ENV
umask 022

"$root/build/examd" migrate >>"$EXAMD_VAR_DIR/examd.log" 2>&1 || {
  echo "up: migration failed; see $EXAMD_VAR_DIR/examd.log" >&2; exit 1; }

demo_logins=""
if [ "$EXAMD_DEMO_DATA" != 0 ]; then
  while read -r user role grade dept name; do
    args=(--username "$user" --role "$role" --name "$name" --department "$dept" --if-missing)
    [ "$grade" != - ] && args+=(--grade "$grade")
    echo "examd-demo-2026" | "$root/build/examd" user add "${args[@]}" >/dev/null
    demo_logins+="  $user / examd-demo-2026 ($role)"$'\n'
  done <<'USERS'
admin admin - 信息化部 系统管理员
hr1 hr - 人力资源部 王人事
trainer1 trainer - 培训中心 李培训
emp4 employee 4 政企客户部 张四级
emp3 employee 3 政企客户部 陈三级
emp2 employee 2 政企客户部 刘二级
emp1 employee 1 政企客户部 赵一级
USERS
  # The banks and blueprints of question-banks/ are loaded once, into an empty question table,
  # so that a later up.sh never undoes what trainers changed since.
  if [ "$(psql "$EXAMD_DATABASE_URL" -Atqc 'SELECT count(*) FROM questions')" = 0 ]; then
    for f in "$root"/question-banks/*.csv; do
      "$root/build/examd" bank import "$f" >>"$EXAMD_VAR_DIR/examd.log" 2>&1 || {
        echo "up: importing $f failed; see $EXAMD_VAR_DIR/examd.log" >&2; exit 1; }
    done
    "$root/build/examd" blueprint put "$root/question-banks/blueprints.json" >>"$EXAMD_VAR_DIR/examd.log" 2>&1 || {
      echo "up: loading the blueprints failed; see $EXAMD_VAR_DIR/examd.log" >&2; exit 1; }
    echo "up: loaded $(psql "$EXAMD_DATABASE_URL" -Atqc 'SELECT count(*) FROM questions') questions and" \
      "$(psql "$EXAMD_DATABASE_URL" -Atqc 'SELECT count(*) FROM blueprints') blueprints" >&2
  fi
  # Closed attempts of 60 simulated employees (sim001.., who cannot log in) on every blueprint, so
  # that the item statistics and measurement errors show real figures at first start. Idempotent.
  "$root/build/examd" demo simulate --employees 60 --seed 2026 >>"$EXAMD_VAR_DIR/examd.log" 2>&1 || {
    echo "up: simulating demo attempts failed; see $EXAMD_VAR_DIR/examd.log" >&2; exit 1; }
fi

# examd itself: started unless it already answers.
pid_file="$EXAMD_VAR_DIR/examd.pid"
if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null \
   && curl -fsS -o /dev/null "$EXAMD_URL/healthz" 2>/dev/null; then
  echo "up: examd already running (pid $(cat "$pid_file"))" >&2
else
  if port_busy "$EXAMD_HTTP_PORT"; then
    if [ -n "$http_port_given" ]; then
      echo "up: port $EXAMD_HTTP_PORT (EXAMD_HTTP_PORT) is used by another program" >&2; exit 1
    fi
    EXAMD_HTTP_PORT=$(free_port_from "$EXAMD_HTTP_PORT") || { echo "up: no free port for examd" >&2; exit 1; }
    export EXAMD_HTTP_PORT
    export EXAMD_URL="http://${EXAMD_HTTP_HOST}:${EXAMD_HTTP_PORT}"
    sed -i "s|^EXAMD_URL=.*|EXAMD_URL=$EXAMD_URL|" "$env_file"
    echo "up: examd uses port $EXAMD_HTTP_PORT (the usual one is taken)" >&2
  fi
  nohup "$root/build/examd" serve >>"$EXAMD_VAR_DIR/examd.log" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$EXAMD_URL/readyz" 2>/dev/null && break
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      echo "up: examd exited; see $EXAMD_VAR_DIR/examd.log" >&2; tail -n 20 "$EXAMD_VAR_DIR/examd.log" >&2; exit 1
    fi
    sleep 0.1
  done
fi
curl -fsS -o /dev/null "$EXAMD_URL/readyz" || { echo "up: examd is not ready" >&2; exit 1; }

echo "examd is running at $EXAMD_URL"
echo "environment: $env_file (EXAMD_DATABASE_URL, EXAMD_URL)"
if [ -n "$demo_logins" ]; then
  echo "demo logins:"
  printf '%s' "$demo_logins"
fi
