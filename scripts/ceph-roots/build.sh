#!/usr/bin/env bash
# Builds one cached root (ceph-roots.sh) unless it is already complete: debootstrap from the
# Debian mirror this machine uses, the suite's Ceph packages, this machine's Node. Its marker
# file is written last, so an interrupted build is redone, never used half-made. Builds of the
# same root are serialised by a lock, so parallel tests wait for one build instead of racing.
set -euo pipefail
suite=$1
# The client: Ceph's CLIs and Python bindings, and the datapath's QEMU (qemu-storage-daemon,
# its rbd driver), which links the same librbd.
client=(ceph-common python3-rados python3-rbd qemu-utils qemu-block-extra qemu-system-common)
case $suite in
  bullseye) packages=("${client[@]}") ;;
  trixie) packages=("${client[@]}" ceph-mon ceph-mgr ceph-osd) ;;
  *)
    echo "ceph-roots: unknown suite $suite (bullseye or trixie)" >&2
    exit 2
    ;;
esac
root=$CEPH_ROOTS_CACHE/$suite
marker=$root/.ceph-roots-ready
node=$(command -v node)
# The marker names what the root holds: a change of packages or Node rebuilds it.
want="$suite ${packages[*]} $("$node" --version)"
[ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && exit 0
mkdir -p "$CEPH_ROOTS_CACHE"
exec 9>"$CEPH_ROOTS_CACHE/.$suite.lock"
flock 9
[ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && exit 0
((EUID == 0)) || {
  echo "ceph-roots: building the $suite root needs root" >&2
  exit 1
}
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
# The first Debian archive among this machine's sources (not its security archive); a list
# file that does not exist is no error.
mirror=$(cat /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null |
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/ && !m) m = $i } END { print m }') || true
mirror=${mirror:-http://deb.debian.org/debian}
log=$(mktemp /tmp/ceph-roots.XXXXXX.log)
started=$(date +%s)
echo "ceph-roots: building the $suite root in $root from $mirror (log: $log)" >&2
rm -rf "$root"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1
# Package scripts start no daemon inside the root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
bash "$(dirname "$0")/run.sh" "$root" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${packages[@]}" >>"$log" 2>&1
# The downloaded packages are not kept: the root is the cache.
bash "$(dirname "$0")/run.sh" "$root" apt-get clean
# Node 20's binary runs on both suites' glibc; the launchers find it on PATH.
install -m 755 "$node" "$root/usr/local/bin/node"
echo "$want" >"$marker"
echo "ceph-roots: $suite root built in $(($(date +%s) - started)) s" >&2
rm -f "$log"
