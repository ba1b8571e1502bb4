#!/usr/bin/env bash
# A throwaway single-host Ceph cluster on 127.0.0.1 (or CEPH_LOCAL_ADDR) for tests: no systemd, no
# containers, every file under one directory. Needs the Debian Ceph packages
# (scripts/install-ceph.sh); tested as root (the daemons run as the caller).
#
# Usage:
#   scripts/ceph-local.sh up DIR        create (or start, if DIR holds a stopped
#                                       cluster) and wait until rbd I/O works
#   scripts/ceph-local.sh down DIR      stop every daemon of DIR, then rm -rf DIR
#   scripts/ceph-local.sh stop DIR      stop all daemons, keep the data
#   scripts/ceph-local.sh start DIR     start a stopped cluster, wait until ready
#   scripts/ceph-local.sh status DIR    daemon states and `ceph -s`
#   scripts/ceph-local.sh env DIR       print the CEPH_* lines (as `up` does)
#   scripts/ceph-local.sh stop-daemon DIR osd.N|mon.a|mgr.x [--kill]
#   scripts/ceph-local.sh start-daemon DIR osd.N|mon.a|mgr.x
#
# `up` and `env` print only KEY=value lines on stdout, for
#   eval "$(scripts/ceph-local.sh up /tmp/c)"; export CEPH_CONF
# Everything else goes to stderr; daemon output goes to DIR/log/.
# A restricted rbd user, client.xcp (keyring DIR/ceph.client.xcp.keyring), is
# created too: `rbd --id xcp ...` works with CEPH_CONF alone. Beware: Ceph
# itself reads a CEPH_KEYRING environment variable and it beats ceph.conf, so
# with CEPH_KEYRING exported as the admin keyring, `--id xcp` fails with
# "handle_auth_bad_method ... allowed_methods [2] but i only support [2]".
# CEPH_CLIENT_ID and CEPH_POOL are for our callers; Ceph ignores them.
#
# Knobs, read by `up` when it creates a cluster (later commands reuse the values
# saved in DIR/local.env):
#   CEPH_LOCAL_OSDS=1         number of OSDs; pool size is min(OSDS, 3)
#   CEPH_LOCAL_PORT=17000     mon v2 on PORT, v1 on PORT+1; mgr and OSDs bind in
#                             PORT+10..PORT+199, so clusters running side by
#                             side need ports at least 200 apart
#   CEPH_LOCAL_OSD_GB=20      bluestore: size of the sparse block file (it only
#                             grows, never shrinks); memstore: capacity
#   CEPH_LOCAL_POOL=rbd       rbd pool created and initialised by `up`
#   CEPH_LOCAL_RBD_SUPPORT=required|optional  whether `up` waits for the mgr's
#                             rbd_support module (optional: a build that cannot load it)
#   CEPH_LOCAL_STORE=bluestore|memstore  memstore keeps ~2 GiB RSS per GiB
#                             written: only for control-plane tests
#   CEPH_LOCAL_ADDR=127.0.0.1 the address every daemon binds and the mon map
#                             names: one of this machine's, e.g. a test bridge's
#                             that clients in network namespaces reach
#   CEPH_LOCAL_PAXOS=0.05     paxos propose interval in seconds (Ceph: 1). Each
#                             osdmap change (snapshot create/rm, blocklist,
#                             pool ops) waits for the next paxos round, so the
#                             default makes `rbd snap create`/`snap rm` ~1 s;
#                             0.05 brings them to ~0.1 s and `up` ~3 s faster.
set -euo pipefail
umask 077
# A caller's CEPH_ARGS (e.g. --id xcp) would turn our admin calls into
# restricted ones.
unset CEPH_ARGS

PROG=ceph-local
UP_TIMEOUT=120
PG_NUM=8

usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# The parts live next to this script; resolve symlinks so that a linked copy finds them.
LIB=$(dirname -- "$(realpath -- "${BASH_SOURCE[0]}")")/ceph-local
# shellcheck source=ceph-local/common.sh
source "$LIB/common.sh"
# shellcheck source=ceph-local/daemons.sh
source "$LIB/daemons.sh"
# shellcheck source=ceph-local/ready.sh
source "$LIB/ready.sh"
# shellcheck source=ceph-local/config.sh
source "$LIB/config.sh"
# shellcheck source=ceph-local/create.sh
source "$LIB/create.sh"
# shellcheck source=ceph-local/commands.sh
source "$LIB/commands.sh"

main() {
  local cmd=${1:-}
  [[ $# -ge 2 ]] || usage
  init_paths "$2"
  # Only the KEY=value lines may reach stdout: route everything else to stderr.
  exec 3>&1 1>&2
  case $cmd in
    up) cmd_up ;;
    down) cmd_down ;;
    stop) cmd_stop ;;
    start) cmd_start ;;
    status) cmd_status >&3 ;;
    env)
      load_state
      print_env >&3
      ;;
    stop-daemon)
      [[ $# -ge 3 ]] || usage
      cmd_stop_daemon "$3" "${4:-}"
      ;;
    start-daemon)
      [[ $# -ge 3 ]] || usage
      cmd_start_daemon "$3"
      ;;
    *) usage ;;
  esac
}

main "$@"
