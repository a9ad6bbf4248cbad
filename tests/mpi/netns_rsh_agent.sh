#!/usr/bin/env bash
# What mpirun calls instead of ssh (`--mca plm_rsh_agent netns_rsh_agent.sh`)
# to start its daemon (orted) on a "remote host" made by netns_hosts.sh:
#
#   netns_rsh_agent.sh HOST COMMAND...
#
# runs COMMAND in the network namespace of HOST, with a UTS namespace of its
# own whose host name is HOST, so gethostname() and MPI_Get_processor_name()
# differ between the two "hosts" as they would on two machines.
#
# HOST is a namespace name (netns_hosts.sh names hosts after their namespaces),
# or one of the pair's addresses 10.77.0.1 / 10.77.0.2, which map to
# ${BATON_NETNS_PREFIX}a / b (mpirun passes its environment on to us).
#
# Like ssh, COMMAND's words are joined with spaces and run by a shell: mpirun
# quotes the arguments of orted for a remote shell (e.g. the HNP's contact URI
# contains ';'). Also like ssh, COMMAND starts with a bare environment (PATH,
# HOME, USER, LANG, TMPDIR only): what ranks on the remote host need must be
# forwarded with mpirun's -x, as on a real cluster.
# Set BATON_NETNS_AGENT_LOG=FILE to log each call.
set -uo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 HOST COMMAND..." >&2
  exit 255
fi
host=$1
shift

ns=""
if ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$host"; then
  ns=$host
elif [ -n "${BATON_NETNS_PREFIX:-}" ]; then
  case $host in
    10.77.0.1) ns="${BATON_NETNS_PREFIX}a" ;;
    10.77.0.2) ns="${BATON_NETNS_PREFIX}b" ;;
  esac
fi
if [ -z "$ns" ]; then
  echo "netns_rsh_agent: no network namespace for host '$host' (expected a namespace" \
       "name from 'ip netns list', or 10.77.0.1/10.77.0.2 with BATON_NETNS_PREFIX set)" >&2
  exit 255  # what ssh returns when it cannot connect
fi

if [ -n "${BATON_NETNS_AGENT_LOG:-}" ]; then
  printf '%s host=%s ns=%s cmd=%s\n' "$(date +%T.%N)" "$host" "$ns" "$*" >> "$BATON_NETNS_AGENT_LOG"
fi

exec env -i PATH="$PATH" HOME="${HOME:-/}" USER="${USER:-$(id -un)}" LANG="${LANG:-C.UTF-8}" \
  TMPDIR="${TMPDIR:-/tmp}" \
  ip netns exec "$ns" unshare --uts /bin/sh -c 'hostname "$1" && exec /bin/sh -c "$2"' \
  netns_rsh_agent "$ns" "$*"
