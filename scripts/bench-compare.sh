#!/usr/bin/env bash
# Runs the benchmarks in quick mode and prints each figure next to the one in
# bench/baseline.txt with the ratio now / baseline. A report, not a test: the
# machines are shared and noisy, so read it for regressions of 2x, not 10%.
#
#   scripts/bench-compare.sh [BUILD_DIR] [NAME_PATTERN]   (pattern as for bench.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/release}
pattern=${2:-.}
baseline="$here/bench/baseline.txt"
BATON_BENCH_QUICK=1 "$here/scripts/bench.sh" "$build" "$pattern" >/dev/null
status=$?
results="$(cd "$build" && pwd)/bench-results.txt"
echo "figures of this run (quick mode) against $baseline ($(grep -m1 '^# date' "$baseline" | cut -c3-))"
printf '%-44s %14s %14s %8s  %s\n' name now baseline ratio unit
awk 'NR == FNR { if ($1 == "bench") base[$2] = $3; next }
     $1 == "bench" {
       unit = ""; for (i = 4; i <= NF; ++i) unit = unit (i > 4 ? " " : "") $i
       if ($2 in base && base[$2] != 0) printf "%-44s %14s %14s %8.2f  %s\n", $2, $3, base[$2], $3 / base[$2], unit
       else printf "%-44s %14s %14s %8s  %s\n", $2, $3, "-", "-", unit
     }' "$baseline" "$results"
[ "$status" -eq 0 ] || echo "(some benchmarks failed: run scripts/bench.sh $build to see why)"
exit 0
