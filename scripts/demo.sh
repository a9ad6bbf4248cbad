#!/usr/bin/env bash
set -euo pipefail
echo "demo: nothing to run yet"
