#!/usr/bin/env bash
# Install the Debian packages the project's tests need, only those missing:
# a local Ceph cluster (scripts/ceph-local.sh) and the userspace qemu tools
# for the NBD datapath (qemu-img/qemu-nbd, rbd block driver, qemu-storage-daemon), and fio,
# the load the NBD export's reliability test and the datapath benchmark drive through it.
# Idempotent: when everything is present it touches nothing (no apt-get update).
# Prints one summary line on stderr; exits non-zero if anything fails.
set -euo pipefail

PACKAGES=(
  ceph-mon ceph-mgr ceph-osd ceph-common
  qemu-utils         # qemu-img, qemu-nbd
  qemu-block-extra   # the rbd: block driver for qemu
  qemu-system-common # qemu-storage-daemon lives here, not in qemu-utils
  fio                # its nbd engine (libnbd) loads the NBD export in tests and the bench
)

is_installed() {
  # Status-Abbrev is "ii " only for a fully installed package; "rc" (removed,
  # config left) or half-configured states must count as missing.
  local st
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ $st == "ii"* ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-ceph: nothing to do (${PACKAGES[*]} already installed)" >&2
  exit 0
fi

if ((EUID != 0)); then
  echo "install-ceph: need root to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/install-ceph.XXXXXX.log)
# Keep apt's chatter out of the caller's output, but show it if something fails.
if ! { apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "install-ceph: FAILED to install: ${missing[*]} (full log: $log)" >&2
  exit 1
fi
rm -f "$log"

for p in "${missing[@]}"; do
  if ! is_installed "$p"; then
    echo "install-ceph: $p still not installed after apt-get" >&2
    exit 1
  fi
done
echo "install-ceph: installed ${missing[*]}" >&2
