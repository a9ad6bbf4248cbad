#!/usr/bin/env bash
# make demo: the taxi ETL of Prefect's big-data guide on the embedded defaults —
# generates a synthetic month of trips if it is missing, runs the flow (the second
# time its transform is served from cache), and shows how to look at what ran.
set -euo pipefail
build=${1:-build/release}
data=${BATON_DEMO_DATA:-data}
rows=${BATON_DEMO_ROWS:-3000000}
baton="$build/cli/baton"

echo "== taxi ETL: $build/examples/taxi_etl --months 1 --data-dir $data --rows $rows"
"$build/examples/taxi_etl" --months 1 --data-dir "$data" --rows "$rows"
echo
if [ -x "$baton" ]; then
  echo "== recent flow runs (baton flow-run ls --limit 5)"
  "$baton" flow-run ls --limit 5
  echo
  echo "== the last run (baton flow-run inspect)"
  id=$("$baton" flow-run ls --flow taxi_etl --limit 1 --json | grep -o '"id": *"[0-9a-f-]*"' | head -1 | grep -o '[0-9a-f-]\{36\}')
  "$baton" flow-run inspect "${id:0:8}"
  echo
  echo "Look further: $baton flow-run logs ${id:0:8} | $baton task-run ls --flow-run ${id:0:8} | $baton cache ls"
fi
echo "History: ${BATON_HOME:-$HOME/.baton}/baton.db   Results: ${BATON_RESULT_STORAGE:-${BATON_HOME:-$HOME/.baton}/storage}"
echo "Run 'make demo' again: the transform is served from cache (state Cached)."
