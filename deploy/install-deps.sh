#!/usr/bin/env bash
# Installs the Debian packages examd needs. Does nothing when they are all present; needs root
# (or sudo) only when something is missing.
#   install-deps.sh [--runtime]  what building and running need (deploy/local/up.sh), with the
#                                libraries and the CJK font of the PDF reports
#   install-deps.sh --test       that plus what the tests need (tests/run.sh): cmocka, Python, clang
#                                for the fuzzers, clang-format for the style check (tests/format.sh),
#                                Chromium and Node.js for the browser tests,
#                                poppler-utils (pdftotext) for the report tests, nginx and PgBouncer
#                                for the deployment tests
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libevent-dev libpq-dev libssl-dev libjansson-dev libutf8proc-dev
  libcairo2-dev libpango1.0-dev librsvg2-dev fonts-noto-cjk
  postgresql postgresql-client
  curl openssl util-linux procps
)
test_deps=0
if [ "${1:-}" = --test ]; then test_deps=1; fi
if [ "$test_deps" = 1 ]; then
  packages+=(
    libcmocka-dev python3 ca-certificates
    clang libclang-rt-dev clang-format
    chromium
    poppler-utils
    nginx-light pgbouncer
  )
fi
# Extra tools for the benchmarks: EXAMD_BENCH_DEPS=1
if [ "${EXAMD_BENCH_DEPS:-0}" = 1 ]; then packages+=(wrk postgresql-contrib linux-perf valgrind); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm drive the browser tests; any packaging of them will do (Debian 12's Node 18 is
# enough: tests/e2e pins a playwright-core that supports it).
if [ "$test_deps" = 1 ]; then
  if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
  if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# apt's own chatter (debconf notes, "delaying package configuration") is kept in a log and shown
# only when the installation fails.
log=$(mktemp /tmp/examd-install-deps.XXXXXX)
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
