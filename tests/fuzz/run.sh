#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with ASan/LSan/UBSan straight from
# the sources and runs each for half of SECONDS (default 30; at least 1s each):
#   fuzz_bank     the bank parsers (domain/bank_*.c, csv.c)          seeds: corpus/
#   fuzz_request  request decoding: URI, route match, body parsers  seeds: corpus-request/
# Usage: tests/fuzz/run.sh [SECONDS]    build folder: $EXAMD_FUZZ_BUILD (default <repo>/build-fuzz)
# Prints one summary line per target. Exit status: 0 when both ran clean, else
# the first failing target's libFuzzer status (crash, leak, timeout), 1 on setup errors.
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
	echo "usage: $0 [SECONDS]  (a positive whole number, default 30)" >&2
	exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${EXAMD_FUZZ_BUILD:-$repo/build-fuzz}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"

cc="${CC_FUZZ:-clang}"
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: '$cc' not found; install clang (with its libFuzzer runtime, e.g. apt-get install clang)" >&2
	exit 1
fi
if ! command -v pkg-config >/dev/null 2>&1 ||
	! deps="$(pkg-config --cflags --libs jansson libutf8proc openssl libevent 2>/dev/null)"; then
	echo "fuzz: pkg-config cannot find jansson, libutf8proc, openssl and libevent (install their -dev packages)" >&2
	exit 1
fi

# libFuzzer is shipped separately from the compiler on some systems: probe it.
probe="$build/probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" >"$probe.log" 2>&1; then
	echo "fuzz: $cc cannot link -fsanitize=fuzzer,address,undefined (libFuzzer/sanitizer runtime missing?):" >&2
	sed 's/^/  /' "$probe.log" >&2
	exit 1
fi
rm -f "$probe" "$probe.c" "$probe.log"

# The model JSON embedded the way the CMake build does it.
model_c="$build/model_json.c"
if command -v cmake >/dev/null 2>&1; then
	cmake -DIN="$repo/model/competency-model.json" -DOUT="$model_c" -DSYMBOL=examd_model_json \
		-P "$repo/cmake/embed.cmake"
else
	{
		echo '/* Generated from model/competency-model.json by tests/fuzz/run.sh; do not edit. */'
		echo '#include <stddef.h>'
		echo 'const char examd_model_json[] = {'
		od -An -v -tx1 "$repo/model/competency-model.json" |
			awk '{ for (i = 1; i <= NF; i++) printf "0x%s,", $i; print "" }'
		echo '0x00};'
		echo "const size_t examd_model_json_len = $(wc -c <"$repo/model/competency-model.json");"
	} >"$model_c"
fi

# fuzz_request.c carries its own copy of the route list of service/api/routes.c.
route_pairs() { sed -nE 's/^[[:space:]]*\{"([A-Z]+)", "(\/[^"]*)".*/\1 \2/p' "$1"; }
if ! route_diff="$(diff <(route_pairs "$repo/service/api/routes.c") <(route_pairs "$here/fuzz_request.c"))"; then
	echo "fuzz: warning: the route list in tests/fuzz/fuzz_request.c differs from service/api/routes.c:" >&2
	printf '%s\n' "$route_diff" | sed 's/^/  /' >&2
fi

dom="$repo/service/domain"
cflags=(-g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -I"$repo/service")

build_target() { # NAME SOURCES...
	local name="$1"
	shift
	# shellcheck disable=SC2086 # deps is a list of flags
	"$cc" "${cflags[@]}" "$here/$name.c" "$@" "$model_c" $deps -lm -lpthread -o "$build/$name"
}
build_target fuzz_bank "$dom/csv.c" "$dom/catalog.c" "$dom/bank_parse.c" "$dom/bank_row.c" "$dom/bank_csv.c" "$dom/bank_json.c" "$dom/bank_canon.c" "$dom/rowerr.c" "$dom/textenc.c" "$repo/service/core/util.c"
build_target fuzz_request "$dom/catalog.c" "$dom/csv.c" "$dom/blueprint.c" "$dom/modelver.c" \
	"$dom/ratings.c" "$dom/rowerr.c" "$dom/textenc.c" "$dom/attempt.c" "$dom/score.c" "$dom/decimal.c" "$dom/textnorm.c" \
	"$repo/service/http/router.c" "$repo/service/http/headcheck.c" "$repo/service/core/util.c"

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

# Runs NAME on a scratch copy of SEEDS for SECS (libFuzzer adds to the copy,
# the seeds in the repo stay as they are); prints the summary line last.
run_target() { # NAME SEEDS SECS [extra libFuzzer flags...]
	local name="$1" seeds="$2" secs="$3"
	shift 3
	local corpus="$build/corpus-${name#fuzz_}" artifacts="$build/artifacts-${name#fuzz_}"
	local log="$build/$name.log" rc=0 execs corpus_n
	mkdir -p "$corpus" "$artifacts"
	cp -f "$seeds"/* "$corpus"/
	echo "fuzz: running $name for ${secs}s (log: $log)"
	"$build/$name" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1 || rc=$?
	execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
	corpus_n="$(find "$corpus" -maxdepth 1 -type f | wc -l)"
	if [ "$rc" -ne 0 ]; then
		echo "fuzz: $name FAILED (exit $rc) — last lines of $log:" >&2
		tail -n 60 "$log" >&2
		echo "fuzz: reproducers in $artifacts/:" >&2
		ls -1 "$artifacts" >&2 || true
		echo "$name: FAILED exit=$rc executions=${execs:-?} corpus=$corpus_n seconds=$secs"
		return "$rc"
	fi
	echo "$name: OK executions=${execs:-?} corpus=$corpus_n seconds=$secs"
}

# Half each, so the whole run stays SECONDS (1s becomes 1s each: 0 would mean forever).
first=$((seconds / 2))
[ "$first" -ge 1 ] || first=1
second=$((seconds - first))
[ "$second" -ge 1 ] || second=1

status=0
run_target fuzz_bank "$here/corpus" "$first" || status=$?
rc=0
run_target fuzz_request "$here/corpus-request" "$second" -dict="$here/request.dict" || rc=$?
[ "$status" -ne 0 ] || status=$rc
exit "$status"
