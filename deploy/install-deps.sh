#!/usr/bin/env bash
# Installs every Debian package that building, running and testing examd needs.
# Does nothing when they are all present. Needs root (or sudo) only when something is missing.
# --runtime: only what building and running examd needs (deploy/local/up.sh), not the test tools.
set -euo pipefail

# Building and running examd. The printable reports (domain/report.c) draw PDFs with cairo, pango
# and librsvg (the -dev packages bring the run-time libraries) in the Noto CJK font.
runtime=(
  build-essential cmake pkg-config
  libevent-dev libpq-dev libssl-dev libjansson-dev libutf8proc-dev libcmocka-dev
  libcairo2-dev libpango1.0-dev librsvg2-dev fonts-noto-cjk
  postgresql postgresql-client
  python3 curl openssl ca-certificates util-linux procps
)
# Test-only: sanitizers and fuzzers, browser tests, PDF text checks (pdftotext), the scale-out tests.
test_only=(
  clang libclang-rt-dev
  chromium
  poppler-utils
  nginx-light pgbouncer
)
packages=("${runtime[@]}")
if [ "${1:-}" != "--runtime" ]; then packages+=("${test_only[@]}"); fi
# Extra tools for the benchmarks: EXAMD_BENCH_DEPS=1
if [ "${EXAMD_BENCH_DEPS:-0}" = 1 ]; then packages+=(wrk postgresql-contrib linux-perf valgrind); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm drive the browser tests; any packaging of them will do.
if [ "${1:-}" != "--runtime" ]; then
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
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
