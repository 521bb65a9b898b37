#!/usr/bin/env bash
# One style for the C sources (.clang-format at the root): fails, naming the files, when a file
# under service/ or tests/ differs from what clang-format makes of it. Fix with
#   tests/format.sh --fix
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v clang-format >/dev/null 2>&1; then
  echo "format: clang-format is not installed (deploy/install-deps.sh --test installs it)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
mapfile -t files < <(git ls-files 'service/*.c' 'service/*.h' 'tests/*.c' 'tests/*.h' 2>/dev/null ||
  find service tests -name '*.[ch]' -not -path '*/web/*')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'format: %s differs from clang-format (tests/format.sh --fix)\n' "${bad[@]}"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "format: ${#files[@]} files as clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1) writes them"
echo "1 passed, 0 failed"
