#!/usr/bin/env bash
# Two "hosts" on one machine for the MPI tests: two Linux network namespaces
# joined by a veth pair, each with addresses that exist only inside it.
#
#   netns_hosts.sh up PREFIX     creates namespaces PREFIXa (10.77.0.1/24) and
#                                PREFIXb (10.77.0.2/24), loopback up in each, and
#                                /etc/netns/PREFIX{a,b}/hosts so that the names
#                                PREFIXa and PREFIXb resolve inside both (ip netns
#                                exec bind-mounts that file over /etc/hosts).
#                                Exit 0, or 77 with "skipped: cannot create network
#                                namespaces (...)" when the kernel or our privileges
#                                refuse (not root, no CAP_NET_ADMIN, no netns).
#   netns_hosts.sh down PREFIX   removes both namespaces and their /etc/netns
#                                directories; quiet and exit 0 whatever is left.
#   netns_hosts.sh check PREFIX  exits 0 if the pair exists and its link is up.
#
# PREFIX names the pair, so parallel test runs choose different prefixes (e.g.
# "btn$$"): every pair has the same 10.77.0.0/24 addresses, but each pair lives
# in its own namespaces, so they cannot see each other. The veth ends are
# created directly inside the namespaces (both called veth0), so nothing is
# added to the machine's own network namespace. Host names equal namespace
# names: netns_rsh_agent.sh maps a host to its namespace by that rule.
# Callers install a trap that runs `down` (mpirun_two_hosts.sh does).
set -uo pipefail

usage() {
  echo "usage: $0 up|down|check PREFIX   (PREFIX: letters, digits, _ or -, at most 40)" >&2
  exit 2
}

[ $# -eq 2 ] || usage
action=$1
prefix=$2
[[ $prefix =~ ^[A-Za-z0-9_-]{1,40}$ ]] || usage
ns_a="${prefix}a"
ns_b="${prefix}b"
addr_a=10.77.0.1
addr_b=10.77.0.2

down() {
  ip netns del "$ns_a" 2>/dev/null  # deleting one end of a veth deletes the pair
  ip netns del "$ns_b" 2>/dev/null
  rm -rf "/etc/netns/$ns_a" "/etc/netns/$ns_b"
  # `ip netns add` turned /run/netns into a mount point; with no namespace left,
  # undo that, so nothing of the test outlives it (a chroot's /run stays removable).
  if [ -d /run/netns ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    umount /run/netns 2>/dev/null
  fi
  return 0
}

skip() {
  echo "skipped: cannot create network namespaces ($1)" >&2
  down
  exit 77
}

up() {
  command -v ip >/dev/null 2>&1 || skip "the ip command (iproute2) is not installed"
  local err
  if ! err=$(ip netns add "$ns_a" 2>&1); then
    skip "ip netns add $ns_a: ${err:-failed}; needs root or CAP_NET_ADMIN"
  fi
  # Entering a namespace remounts /; inside a chroot (not a mount point) it cannot.
  err=$(ip netns exec "$ns_a" true 2>&1) || skip "cannot enter namespace $ns_a: ${err:-failed}"
  err=$(ip netns add "$ns_b" 2>&1) || skip "ip netns add $ns_b: ${err:-failed}"
  err=$(ip link add veth0 netns "$ns_a" type veth peer name veth0 netns "$ns_b" 2>&1) ||
    skip "ip link add veth pair: ${err:-failed}; needs the veth kernel module"
  # From here on the namespaces exist, so a failure is a real error, not a skip.
  local ns addr
  for ns in "$ns_a" "$ns_b"; do
    if [ "$ns" = "$ns_a" ]; then addr=$addr_a; else addr=$addr_b; fi
    if ! ip -n "$ns" link set lo up ||
       ! ip -n "$ns" addr add "$addr/24" dev veth0 ||
       ! ip -n "$ns" link set veth0 up; then
      echo "netns_hosts: configuring namespace $ns failed" >&2
      down
      exit 1
    fi
    mkdir -p "/etc/netns/$ns"
    {
      echo "127.0.0.1 localhost"
      echo "$addr_a $ns_a"
      echo "$addr_b $ns_b"
    } > "/etc/netns/$ns/hosts"
  done
  # The veth link takes a moment to come up; wait until both ends report a
  # carrier (LOWER_UP), at most ~5 s. (No ping here: Debian's minimal images
  # lack it; the MPI run itself proves the path.)
  local _
  for _ in $(seq 50); do
    if linked "$ns_a" && linked "$ns_b"; then
      return 0
    fi
    sleep 0.1
  done
  echo "netns_hosts: the veth pair between $ns_a and $ns_b did not come up" >&2
  down
  exit 1
}

linked() {
  ip -n "$1" -o link show veth0 2>/dev/null | grep -q 'LOWER_UP'
}

case $action in
  up) up ;;
  down) down ;;
  check) linked "$ns_a" && linked "$ns_b" ;;
  *) usage ;;
esac
