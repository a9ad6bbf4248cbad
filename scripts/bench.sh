#!/usr/bin/env bash
# make bench: runs every benchmark program and collects their `bench` lines.
# They compare against a peer measured in the same run (plain thread pool,
# oneTBB, memcpy, the disk, DuckDB, Dask, the AWS CLI); on a shared machine,
# trust the ratios. BATON_BENCH_QUICK=1 runs each with fewer iterations.
#
#   scripts/bench.sh [BUILD_DIR] [NAME_PATTERN]     (pattern: e.g. 'task_overhead|runners')
#
# Exit status: 0 when every program ran (or skipped itself with exit 77 because
# a piece outside baton is absent), 1 when one failed.
set -uo pipefail
# Absolute, because each benchmark runs inside the scratch directory.
build=$(cd "${1:-build/release}" && pwd)
pattern=${2:-.}
out="$build/bench-results.txt"
: > "$out"
export BATON_BENCH_TMP=${BATON_BENCH_TMP:-$build/bench-tmp}
mkdir -p "$BATON_BENCH_TMP"
failed=()
found=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  [[ "${name#bench_}" =~ $pattern ]] || continue
  found=1
  echo "== $name"
  log="$BATON_BENCH_TMP/$name.log"
  (cd "$BATON_BENCH_TMP" && "$b") > "$log" 2>&1
  rc=$?
  cat "$log" >> "$out"
  grep -v '^bench ' "$log"
  if [ "$rc" -eq 77 ]; then
    echo "   (skipped: see above)"
  elif [ "$rc" -ne 0 ]; then
    echo "   (failed: exit $rc)"
    failed+=("$name")
  fi
done
if [ "$found" -eq 0 ]; then
  echo "no benchmark programs under $build/bench matching '$pattern' (build them first)" >&2
  exit 1
fi
echo
echo "== all figures (also in $out)"
grep '^bench ' "$out"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
exit 0
