#!/usr/bin/env bash
# Builds tests/fuzz/fuzz_bank.c with libFuzzer + ASan/LSan/UBSan straight from
# the domain sources and fuzzes the bank parsers for SECONDS (default 30).
# Usage: tests/fuzz/run.sh [SECONDS]    build folder: $EXAMD_FUZZ_BUILD (default <repo>/build-fuzz)
# Exit status: 0 clean run, libFuzzer's non-zero status on a crash/leak/timeout, 1 on setup errors.
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
	! deps="$(pkg-config --cflags --libs jansson libutf8proc openssl 2>/dev/null)"; then
	echo "fuzz: pkg-config cannot find jansson, libutf8proc and openssl (install their -dev packages)" >&2
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

bin="$build/fuzz_bank"
# shellcheck disable=SC2086 # deps is a list of flags
"$cc" -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$repo/service" \
	"$here/fuzz_bank.c" \
	"$repo/service/domain/csv.c" "$repo/service/domain/catalog.c" "$repo/service/domain/bank.c" \
	"$model_c" \
	$deps -lpthread -o "$bin"

# A scratch corpus: libFuzzer adds to it, the seeds in the repo stay as they are.
corpus="$build/corpus"
artifacts="$build/artifacts"
mkdir -p "$corpus" "$artifacts"
cp -f "$here"/corpus/* "$corpus"/
log="$build/fuzz.log"

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

echo "fuzz: running $bin for ${seconds}s (log: $log)"
rc=0
"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?

execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
corpus_n="$(find "$corpus" -maxdepth 1 -type f | wc -l)"
if [ "$rc" -ne 0 ]; then
	echo "fuzz: FAILED (exit $rc) — last lines of $log:" >&2
	tail -n 60 "$log" >&2
	echo "fuzz: reproducers in $artifacts/:" >&2
	ls -1 "$artifacts" >&2 || true
	echo "fuzz_bank: FAILED exit=$rc executions=${execs:-?} corpus=$corpus_n seconds=$seconds"
	exit "$rc"
fi
echo "fuzz_bank: OK executions=${execs:-?} corpus=$corpus_n seconds=$seconds"
