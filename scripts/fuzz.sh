#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR for SECONDS each, starting from its
# seed corpus (tests/fuzz/corpus/<name>). New inputs go to a scratch corpus
# so the committed seeds stay small; any crash fails the run and leaves the
# reproducer in build/fuzz/findings/.
set -euo pipefail
build=${1:?build dir}
secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/findings" "$build/scratch"
status=0
for bin in "$build"/tests/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  seeds="$root/tests/fuzz/corpus/$short"
  scratch="$build/scratch/$short"; mkdir -p "$scratch"
  echo "fuzz: $name for ${secs}s"
  if ! "$bin" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$build/findings/$short-" "$scratch" "$seeds" \
        2>"$build/$short.log"; then
    echo "fuzz: $name FAILED"; tail -n 40 "$build/$short.log"; status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$short.log" | sed "s/^/  $short /" || true
done
exit $status
