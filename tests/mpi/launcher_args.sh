# Sourced by mpirun_local.sh and mpirun_two_hosts.sh: reads their common
# arguments `NP [MPIRUN_OPTION...] -- PROGRAM [ARG...]` from the caller's
# positional parameters. Sets np and extra (the mpirun options) and leaves
# PROGRAM [ARG...] in "$@". Exits 2 on bad usage, 77 (skip) without mpirun.

usage() {
  echo "usage: $0 NP [MPIRUN_OPTION...] -- PROGRAM [ARG...]" >&2
  exit 2
}

[ $# -ge 3 ] || usage
np=$1
shift
[[ $np =~ ^[1-9][0-9]*$ ]] || usage
extra=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  extra+=("$1")
  shift
done
[ $# -ge 2 ] || usage
shift  # the --

if ! command -v mpirun >/dev/null 2>&1; then
  echo "skipped: mpirun not found (install openmpi-bin)" >&2
  exit 77
fi
