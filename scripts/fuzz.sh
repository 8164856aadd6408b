#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR for SECONDS each, starting from its
# seed corpus (tests/fuzz/corpus/<name>). With FUZZ_RUNS set, each target
# instead runs exactly that many inputs from a fixed seed: reproducible, as
# CI needs (the same commit always gives the same verdict); exploration with
# new randomness is `make fuzz` on a developer's machine. New inputs go to a scratch corpus
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
  if [ -n "${FUZZ_RUNS:-}" ]; then
    echo "fuzz: $name ($FUZZ_RUNS inputs, seed 1)"
  else
    echo "fuzz: $name (${secs}s)"
  fi
  if [ -n "${FUZZ_RUNS:-}" ]; then
    limits=(-runs="$FUZZ_RUNS" -seed=1)
  else
    limits=(-max_total_time="$secs")
  fi
  if ! "$bin" "${limits[@]}" -print_final_stats=1 \
        -artifact_prefix="$build/findings/$short-" "$scratch" "$seeds" \
        2>"$build/$short.log"; then
    echo "fuzz: $name FAILED"; tail -n 40 "$build/$short.log"; status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$short.log" | sed "s/^/  $short /" || true
done
exit $status
