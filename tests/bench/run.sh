#!/usr/bin/env bash
# examd load benchmark (issue #8): builds examd, compiles the load generator and the hello server,
# starts a throwaway PostgreSQL (fsync on), runs the scenarios and prints one results table, also
# appended to tests/bench/RESULTS.md. See tests/bench/README.md.
#
#   tests/bench/run.sh [scenario ...] [--option value ...]
#
# Scenarios: healthz autosave storm connections login hr-listing (default: all of them, ~10 min on
# 2 cores) and profile (only when named). Options go to bench.py, e.g. --storm 20000,
# --connections 20000, --duration 30, --employees 5000, --hr-employees 10000 (python3
# tests/bench/bench.py --help lists them). EXAMD_BENCH_KEEP=1 keeps the scratch folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cd "$src"

for tool in cmake cc pgbench psql python3 pkg-config; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (EXAMD_BENCH_DEPS=1 deploy/install-deps.sh)" >&2; exit 1; }
done

echo "[bench] building examd" >&2
if [ ! -f build/CMakeCache.txt ]; then cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null; fi
# Only the server: the bench does not need the unit tests (and must not fail when one is mid-edit).
cmake --build build --target examd -j"$(nproc)" >/dev/null

# profile's outputs live in the scratch folder: keep it then.
for a in "$@"; do if [ "$a" = profile ]; then EXAMD_BENCH_KEEP=1; fi; done
work=$(mktemp -d /tmp/examd-bench.XXXXXX)
chmod 755 "$work"
pgdata="$work/pg"
# shellcheck source=../../deploy/lib/pg.sh
. "$src/deploy/lib/pg.sh"
cleanup() {
  pg_stop "$pgdata" || true
  if [ "${EXAMD_BENCH_KEEP:-0}" = 1 ]; then echo "[bench] scratch kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "[bench] compiling loadgen and hello" >&2
mkdir -p "$work/bin"
cflags="-O2 -std=gnu11 -Wall $(pkg-config --cflags libevent 2>/dev/null || true)"
cc $cflags -o "$work/bin/loadgen" "$here/loadgen.c" $(pkg-config --libs libevent) -lpthread -lm
cc $cflags -o "$work/bin/hello" "$here/hello.c" $(pkg-config --libs libevent) -lpthread

# Enough descriptors for the held connections (the hard limit is as far as an unprivileged
# process can go; bench.py says so when the limit is below what was asked).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port=$(pg_free_port)
pg_init "$pgdata" trust
pg_start "$pgdata" "$port"   # EXAMD_PG_FSYNC unset: fsync on, synchronous_commit on (the default)
echo "[bench] PostgreSQL on 127.0.0.1:$port (data $pgdata, fsync on)" >&2

EXAMD_BENCH_ARGS="$*" python3 "$here/bench.py" --pg "postgresql://postgres@127.0.0.1:$port/postgres" --pgdata "$pgdata" \
  --bin "$src/build/examd" --tools "$work/bin" --work "$work" "$@"
