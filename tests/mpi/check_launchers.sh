#!/usr/bin/env bash
# Proves the MPI launch setups of tests/mpi/ with the mpi_hello program:
#
#   check_launchers.sh local|two_hosts|all MPI_HELLO
#
# local:      mpirun_local.sh -np 3: 64 MiB exchanged intact between rank 0 and
#             each other rank; a rank's exit status comes back from mpirun; a rank
#             killed by SIGKILL ends the job promptly (no hang) with a non-zero
#             status, and rank 0 is sent SIGCONT then SIGTERM by mpirun.
# two_hosts:  the same through mpirun_two_hosts.sh, and rank 0 runs in namespace A
#             (only 10.77.0.1) while ranks 1 and 2 run in namespace B (only
#             10.77.0.2) with another host name; variables reach host B only
#             when forwarded. Exit 77 (skip) when namespaces cannot be made.
#
# Prints "check_launchers: <what>: ok" per check; exits 1 at the first failure.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[ $# -eq 2 ] || { echo "usage: $0 local|two_hosts|all MPI_HELLO" >&2; exit 2; }
which=$1
hello=$2
[ -x "$hello" ] || { echo "check_launchers: $hello is not an executable" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BATON_MPIRUN_TIMEOUT=${BATON_MPIRUN_TIMEOUT:-120}

fail() {
  echo "check_launchers: FAILED: $1" >&2
  for f in "$tmp"/out "$tmp"/err "$tmp"/sig; do
    [ -s "$f" ] && { echo "--- $(basename "$f"):" >&2; cat "$f" >&2; }
  done
  exit 1
}
ok() { echo "check_launchers: $1: ok"; }

check() {
  local w=$1 launcher="$here/mpirun_$1.sh" rc t0 t1

  "$launcher" 3 -- "$hello" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ $rc -eq 77 ] && { cat "$tmp/err" >&2; return 77; }
  [ $rc -eq 0 ] || fail "$w: mpi_hello exited $rc"
  grep -q '^mpi_hello: ok$' "$tmp/out" || fail "$w: no 'mpi_hello: ok'"
  [ "$(grep -c 'exchanged 67108864 bytes each way with rank [12], intact' "$tmp/out")" -eq 2 ] ||
    fail "$w: 64 MiB exchanges"
  ok "$w: 3 ranks, 64 MiB each way with ranks 1 and 2, intact"

  if [ "$w" = two_hosts ]; then
    grep -Eq '^rank 0 of 3 host btn[0-9]+a .* addrs veth0=10\.77\.0\.1$' "$tmp/out" ||
      fail "$w: rank 0 not alone in namespace A with 10.77.0.1"
    [ "$(grep -Ec '^rank [12] of 3 host btn[0-9]+b .* addrs veth0=10\.77\.0\.2$' "$tmp/out")" -eq 2 ] ||
      fail "$w: ranks 1 and 2 not in namespace B with 10.77.0.2"
    ok "$w: rank 0 sees only 10.77.0.1 (host A), ranks 1-2 only 10.77.0.2 (host B)"

    BATON_CHECK_VAR=forwarded NOT_FORWARDED=leaked "$launcher" 2 -- /bin/sh -c \
      'echo "rank $OMPI_COMM_WORLD_RANK ${BATON_CHECK_VAR:-missing} ${NOT_FORWARDED:-absent}"' \
      > "$tmp/out" 2> "$tmp/err" || fail "$w: environment run"
    grep -q '^rank 1 forwarded absent$' "$tmp/out" ||
      fail "$w: host B should get BATON_* variables and nothing else"
    ok "$w: BATON_* variables reach host B, others do not (as over ssh)"
  fi

  "$launcher" 3 -- /bin/sh -c 'exit $((OMPI_COMM_WORLD_RANK == 2 ? 7 : 0))' > "$tmp/out" 2> "$tmp/err"
  rc=$?
  [ $rc -eq 7 ] || fail "$w: a rank's exit status 7 came back as $rc"
  ok "$w: exit status of a failing rank comes back (7)"

  : > "$tmp/sig"
  t0=$(date +%s%N)
  MPI_HELLO_SIGNAL_FILE="$tmp/sig" BATON_MPI_FORWARD=MPI_HELLO_SIGNAL_FILE \
    "$launcher" 3 -- "$hello" --kill-rank 1 > "$tmp/out" 2> "$tmp/err"
  rc=$?
  t1=$(date +%s%N)
  [ $rc -ne 0 ] && [ $rc -ne 124 ] ||
    fail "$w: killed rank: mpirun exited $rc"
  grep -q 'exited on signal 9 (Killed)' "$tmp/err" || fail "$w: mpirun did not name the SIGKILL"
  grep -q '^rank 0: got signal 18 ' "$tmp/sig" || fail "$w: rank 0 got no SIGCONT"
  grep -q '^rank 0: got signal 15 ' "$tmp/sig" || fail "$w: rank 0 got no SIGTERM"
  grep -q 'MPI_Recv returned' "$tmp/err" && fail "$w: MPI_Recv returned in rank 0"
  ok "$w: SIGKILLed rank 1 ends the job in $(( (t1 - t0) / 1000000 )) ms, exit $rc; rank 0 got SIGCONT, SIGTERM"
  return 0
}

case $which in
  local) check local ;;
  two_hosts) check two_hosts ;;
  all) check local && { check two_hosts; rc=$?; [ $rc -eq 77 ] && exit 0; exit $rc; } ;;
  *) echo "usage: $0 local|two_hosts|all MPI_HELLO" >&2; exit 2 ;;
esac
