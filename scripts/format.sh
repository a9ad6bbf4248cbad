#!/bin/sh
# Formats the project's C++ sources with clang-format and .clang-format.
#   scripts/format.sh           reformat every tracked .h/.cpp in place
#   scripts/format.sh --check   list the files that differ; exit 1 if any does
#   scripts/format.sh [--check] FILE...   only these files
# Third-party and generated files are never tracked, so `git ls-files` is the list.
set -eu
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
command -v "$CLANG_FORMAT" >/dev/null 2>&1 || {
  echo "format.sh: $CLANG_FORMAT not found (apt-get install clang-format, or scripts/install-deps.sh)" >&2
  exit 2
}
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
if [ $# -gt 0 ]; then
  files=$(printf '%s\n' "$@")
else
  files=$(git ls-files '*.h' '*.cpp')
fi
if [ "$check" -eq 0 ]; then
  printf '%s\n' "$files" | xargs -r "$CLANG_FORMAT" -i --style=file
  exit 0
fi
differ=0
for f in $files; do
  if ! "$CLANG_FORMAT" --style=file "$f" | cmp -s - "$f"; then
    echo "$f"
    differ=$((differ + 1))
  fi
done
if [ "$differ" -gt 0 ]; then
  echo "format.sh: $differ file(s) differ from .clang-format (run: make format)" >&2
  exit 1
fi
