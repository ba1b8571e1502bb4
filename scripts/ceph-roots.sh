#!/usr/bin/env bash
# Debian roots holding another Ceph release than this machine's, for the release matrix
# (docs/support-matrix.md, scripts/matrix.mjs):
#   bullseye  Nautilus 14.2 client (ceph-common, python3-rados, python3-rbd)
#   trixie    Reef 18.2 client and cluster (ceph-mon, ceph-mgr, ceph-osd too)
#
#   ceph-roots.sh path <suite>            the cached root's directory, built first if missing
#   ceph-roots.sh run <suite> CMD ARGS…   CMD inside the root, as root, with this checkout, /tmp,
#                                         /run and the host's devices seen at the same paths
#
# Roots are cached in CEPH_ROOTS_CACHE (default /var/cache/ceph-rbd-roots), outside any checkout,
# and reused by every later run; a root whose build did not finish is built again from scratch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CEPH_ROOTS_CACHE=${CEPH_ROOTS_CACHE:-/var/cache/ceph-rbd-roots}
case ${1:-} in
  path)
    bash "$here/ceph-roots/build.sh" "$2" >&2
    echo "$CEPH_ROOTS_CACHE/$2"
    ;;
  run)
    suite=$2
    shift 2
    bash "$here/ceph-roots/build.sh" "$suite" >&2
    exec bash "$here/ceph-roots/run.sh" "$CEPH_ROOTS_CACHE/$suite" "$@"
    ;;
  *)
    echo "usage: ceph-roots.sh path <bullseye|trixie> | run <bullseye|trixie> CMD [ARGS…]" >&2
    exit 2
    ;;
esac
