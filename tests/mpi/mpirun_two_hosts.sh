#!/usr/bin/env bash
# mpirun across two "hosts": two network namespaces made by netns_hosts.sh, with
# mpirun's ssh replaced by netns_rsh_agent.sh.
#
#   mpirun_two_hosts.sh NP [MPIRUN_OPTION...] -- PROGRAM [ARG...]
#
# Rank 0 (and mpirun itself, the HNP) run on host A (namespace PREFIXa,
# 10.77.0.1), ranks 1..NP-1 on host B (PREFIXb, 10.77.0.2). Each host has its own
# host name (= its namespace name). Both share the file system, which the tests
# rely on for result storage; they share nothing else: MPI traffic and mpirun's
# own out-of-band channel go over the veth pair (10.77.0.0/24) only.
#
# MCA options: plm_rsh_agent (the launcher), plm_rsh_no_tree_spawn 1 (orted on B
# is started by mpirun, not by another orted), pml ob1 + btl self,vader,tcp
# (vader between ranks on the same host, tcp between hosts), btl_tcp_if_include
# and oob_tcp_if_include 10.77.0.0/24 (the veth subnet only). BATON_MPI_PML and
# BATON_MPI_BTL override as in mpirun_local.sh.
#
# Like ssh, the agent starts orted on B with a bare environment, so variables
# reach ranks on B only through mpirun's -x. This wrapper forwards every
# variable set in its environment whose name starts with BATON_, ASAN_, UBSAN_,
# LSAN_ or TSAN_, plus LD_LIBRARY_PATH, plus the names listed in
# BATON_MPI_FORWARD (space-separated).
#
# Exit status: PROGRAM's (as mpirun reports it); 77 (ctest's skip code) with
# "skipped: cannot create network namespaces (...)" when namespaces cannot be
# made, or "skipped: mpirun not found"; 124 after BATON_MPIRUN_TIMEOUT seconds
# (default 600). The namespaces are removed on every exit path except SIGKILL;
# pairs left by a SIGKILLed run (prefix btn<pid> of a dead pid) are removed by
# the next run.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"

source "$here/launcher_args.sh"

# Remove pairs whose creator died by SIGKILL (a ctest timeout, say).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^btn[0-9]+a$'); do
  pid=${ns#btn}
  pid=${pid%a}
  kill -0 "$pid" 2>/dev/null || "$here/netns_hosts.sh" down "btn$pid"
done

prefix="btn$$"
host_a="${prefix}a"
host_b="${prefix}b"
export BATON_NETNS_PREFIX=$prefix

child=""
cleanup() {
  # mpirun ends its job on SIGTERM (timeout passes it on); then the pair goes.
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  "$here/netns_hosts.sh" down "$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$here/netns_hosts.sh" up "$prefix"
rc=$?
[ $rc -eq 0 ] || exit $rc  # 77: skipped, with the reason printed

forward=()
for name in $(compgen -e); do
  case $name in
    BATON_NETNS_*) ;;
    BATON_*|ASAN_*|UBSAN_*|LSAN_*|TSAN_*|LD_LIBRARY_PATH) forward+=(-x "$name") ;;
  esac
done
for name in ${BATON_MPI_FORWARD:-}; do
  [ -n "${!name+set}" ] && forward+=(-x "$name")
done

hosts="$host_a:1"
[ "$np" -gt 1 ] && hosts="$hosts,$host_b:$((np - 1))"

root=()
[ "$(id -u)" -eq 0 ] && root=(--allow-run-as-root)

# mpirun runs inside namespace A with host name A; --host A:1,B:NP-1 places
# rank 0 on A and ranks 1.. on B. In the background so that a signal to this
# script runs its trap at once (bash defers traps while a foreground child runs).
timeout --kill-after=10 "${BATON_MPIRUN_TIMEOUT:-600}" \
  ip netns exec "$host_a" unshare --uts /bin/sh -c 'hostname "$1" && shift && exec "$@"' \
  mpirun_two_hosts "$host_a" \
  mpirun "${root[@]}" --oversubscribe --bind-to none -np "$np" --host "$hosts" \
  --mca plm_rsh_agent "$here/netns_rsh_agent.sh" \
  --mca plm_rsh_no_tree_spawn 1 \
  --mca pml "${BATON_MPI_PML:-ob1}" --mca btl "${BATON_MPI_BTL:-self,vader,tcp}" \
  --mca btl_tcp_if_include 10.77.0.0/24 \
  --mca oob_tcp_if_include 10.77.0.0/24 \
  "${forward[@]}" "${extra[@]}" "$@" &
child=$!
wait "$child"
rc=$?
child=""
exit $rc
