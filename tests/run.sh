#!/usr/bin/env bash
# The test command: installs what is missing, builds examd three times (plain, with
# AddressSanitizer + UBSan, and a compile-only Release build as a packager makes it), starts a
# throwaway PostgreSQL, and runs every test with ctest: cmocka unit tests and integration tests
# that drive the real examd over HTTP.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/deploy/lib/pg.sh"
cd "$root"

"$root/deploy/install-deps.sh" --test
jobs=$(nproc)

echo "== build (RelWithDebInfo)"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXAMD_TESTS=ON >/dev/null
cmake --build "$root/build" -j"$jobs" >/dev/null
echo "== build (AddressSanitizer + UBSan)"
cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DEXAMD_SANITIZE=ON -DEXAMD_TESTS=ON >/dev/null
cmake --build "$root/build-asan" -j"$jobs" >/dev/null
# Release (-O3 -DNDEBUG) finds warnings the other two do not (e.g. maybe-uninitialized after
# inlining); with -Werror they break a packager's build. Compiled only: the service and its
# libraries, no tests (they run on the two builds above).
echo "== build (Release, compile only)"
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DEXAMD_TESTS=OFF >/dev/null
cmake --build "$root/build-release" -j"$jobs" >/dev/null

echo "== throwaway PostgreSQL"
tmp=$(mktemp -d /tmp/examd-test.XXXXXX)
chmod 755 "$tmp"
port=$(pg_free_port)
cleanup() {
  pg_stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
pg_init "$tmp/pg" trust
EXAMD_PG_FSYNC=off pg_start "$tmp/pg" "$port"
export EXAMD_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
export EXAMD_TEST_TMP="$tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Caches of the font and PDF libraries that the printable reports use (see the file).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/lsan.supp:print_suppressions=0}

status=0
echo "== fuzzing the bank parsers and request decoding (${EXAMD_FUZZ_SECONDS:-30} s)"
bash "$root/tests/fuzz/run.sh" "${EXAMD_FUZZ_SECONDS:-30}" || status=1
echo "== tests: sanitized build"
(cd "$root/build-asan" && ctest --output-on-failure --timeout 600 -j"$jobs") || status=1
echo "== tests: release build"
(cd "$root/build" && ctest --output-on-failure --timeout 600 -j"$jobs") || status=1
exit $status
