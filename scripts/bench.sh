#!/usr/bin/env bash
# make bench: runs every benchmark program and collects their `bench` lines.
# They compare against a peer measured in the same run (plain thread pool,
# memcpy, the disk, DuckDB, the AWS CLI); on a shared machine, trust the ratios.
set -uo pipefail
# Absolute, because each benchmark runs inside the scratch directory.
build=$(cd "${1:-build/release}" && pwd)
out="$build/bench-results.txt"
: > "$out"
export BATON_BENCH_TMP=${BATON_BENCH_TMP:-$build/bench-tmp}
mkdir -p "$BATON_BENCH_TMP"
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  (cd "$BATON_BENCH_TMP" && "$b") 2>&1 | tee -a "$out" | grep -v '^bench ' || echo "   (failed: $?)"
done
echo
echo "== all figures (also in $out)"
grep '^bench ' "$out"
