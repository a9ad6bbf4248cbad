#!/usr/bin/env bash
# make demo: runs the example flow on the embedded defaults and shows how to look at it.
set -euo pipefail
build=${1:-build/release}
bin="$build/examples"
echo "== running the example flow: $bin/hello_flow --name baton --count 8"
"$bin/hello_flow" --name baton --count 8
echo
if [ -x "$build/cli/baton" ]; then
  echo "== what the run history holds (baton flow-run ls --limit 5)"
  "$build/cli/baton" flow-run ls --limit 5
  id=$("$build/cli/baton" flow-run ls --limit 1 --json | sed -n 's/.*"id": *"\([0-9a-f-]*\)".*/\1/p' | head -1)
  echo
  echo "Look closer:"
  echo "  $build/cli/baton flow-run inspect ${id:0:8}"
  echo "  $build/cli/baton flow-run logs ${id:0:8}"
fi
echo "History lives in ${BATON_HOME:-$HOME/.baton}/baton.db"
