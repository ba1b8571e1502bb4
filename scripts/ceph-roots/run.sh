#!/usr/bin/env bash
# Runs a command inside a root (ceph-roots.sh run). The mounts are made in a mount namespace of
# the command's own: they go away with it, whatever way it ends, and no other process sees them.
# /tmp, /run and the checkout keep their paths, so a test's cluster config, install tree and
# run directory are the same files inside and out, and so is the working directory; the network is
# the host's.
set -euo pipefail
root=$1
shift
checkout=$(cd "$(dirname "$0")/../.." && pwd)
exec unshare --mount --propagation private -- bash -c '
  set -e
  root=$1 checkout=$2
  shift 2
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  for d in /tmp /run "$checkout"; do
    mkdir -p "$root$d"
    mount --rbind "$d" "$root$d"
  done
  # The same working directory inside, where the root has it (/ otherwise).
  cwd=$PWD
  [ -d "$root$cwd" ] || cwd=/
  exec chroot "$root" /usr/bin/env --chdir="$cwd" "$@"
' run "$root" "$checkout" "$@"
