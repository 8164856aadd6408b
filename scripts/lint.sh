#!/usr/bin/env bash
# Lint: every C file clang-formatted, cppcheck clean on the library and
# plugins, and the layering rule of docs/ARCHITECTURE.md.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
unformatted=$(for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find include lib plugins apps tests bench -name '*.[ch]'); do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$unformatted" ]; then
  echo "lint: not clang-formatted (run 'make format'):"; echo "$unformatted"; fail=1
else
  echo "lint: clang-format ok"
fi
if cppcheck --quiet --enable=warning,portability,performance --std=c11 -I include \
     --suppress=missingIncludeSystem --inline-suppr --error-exitcode=1 lib plugins; then
  echo "lint: cppcheck ok"
else
  fail=1
fi
./scripts/check-layers.sh || fail=1
exit $fail
