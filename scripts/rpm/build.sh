#!/usr/bin/env bash
# Builds the RPMs (npm run rpm):
#   xcp-ceph-rbd          the plugins, the admin command, the GC unit
#   xcp-ceph-rbd-runtime  Node for glibc 2.17, only when a tarball is given
#
# Usage:
#   bash scripts/rpm/build.sh [--node-tarball PATH --node-sha256 HEX] [--outdir DIR]
#                             [--release N] [--launcher dual|node|python]
#
# --node-tarball  a Node release tarball built for glibc 2.17, e.g.
#                 node-v22.11.0-linux-x64-glibc-217.tar.xz from nodejs/unofficial-builds;
#                 nothing is downloaded here. Refused unless its SHA-256 is --node-sha256
#                 (checked here and again in the spec's %prep).
# --outdir        where the .rpm files go (default dist/rpm)
# --release       the RPM release (default 1)
# --launcher      form of the verb files (default: scripts/build.mjs's own default)
#
# Needs rpmbuild: Debian's `rpm` package is installed if missing (as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PROG=rpm-build

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
usage() {
  sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

tarball= sha= outdir=dist/rpm release=1 launcher=
while (($#)); do
  case $1 in
  --node-tarball) tarball=${2:?}; shift 2 ;;
  --node-sha256) sha=${2:?}; shift 2 ;;
  --outdir) outdir=${2:?}; shift 2 ;;
  --release) release=${2:?}; shift 2 ;;
  --launcher) launcher=${2:?}; shift 2 ;;
  -h | --help) usage ;;
  *) echo "$PROG: unknown argument: $1" >&2; usage ;;
  esac
done

# rpmbuild from Debian's rpm package (4.18), as scripts/install-ceph.sh installs Ceph.
if ! command -v rpmbuild >/dev/null; then
  ((EUID == 0)) || die "rpmbuild is missing and installing Debian's rpm package needs root"
  log=$(mktemp /tmp/rpm-install.XXXXXX.log)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    die "could not install Debian's rpm package (full log: $log)"
  fi
  rm -f "$log"
  command -v rpmbuild >/dev/null || die "rpmbuild still missing after installing rpm"
  echo "$PROG: installed Debian's rpm package (rpmbuild)" >&2
fi

version=$(node -p 'require("./package.json").version')
runtime_args=()
if [[ -n $tarball ]]; then
  [[ -f $tarball ]] || die "no such file: $tarball"
  [[ $sha =~ ^[0-9a-fA-F]{64}$ ]] || die "--node-tarball needs --node-sha256 <64 hex digits>"
  sha=${sha,,}
  actual=$(sha256sum "$tarball" | cut -d' ' -f1)
  [[ $actual == "$sha" ]] || die "$tarball has SHA-256 $actual, not $sha: refusing it"
  top=$(tar -tf "$tarball" | sed -n 1p) || die "cannot list $tarball"
  node_version=$(sed -n 's/^node-v\([0-9][0-9.]*\)-.*/\1/p' <<<"$top")
  [[ -n $node_version ]] || die "$tarball is not a Node release tarball (top directory: $top)"
  runtime_args=(--with runtime --define "node_tarball $(basename "$tarball")" --define "node_sha256 $sha" --define "node_version $node_version")
else
  [[ -z $sha ]] || die "--node-sha256 without --node-tarball"
  echo "$PROG: no --node-tarball: building the plugin package only; xcp-ceph-rbd-runtime (Node for glibc 2.17) needs a tarball and its SHA-256" >&2
fi

work=$(mktemp -d /tmp/xcp-ceph-rbd-rpm.XXXXXX)
trap 'rm -rf "$work"' EXIT
top=$work/rpmbuild
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}

# The install tree, with launchers naming the runtime's Node. Built aside: the checkout's own
# dist/install/ is not touched.
tree=$work/src/xcp-ceph-rbd-$version
node scripts/build.mjs "--out=$tree" --node=/usr/libexec/xcp-ceph-rbd/node/bin/node ${launcher:+"--launcher=$launcher"}
install -d "$tree/systemd"
install -m 0644 "scripts/rpm/ceph-rbd-gc@.service" "$tree/systemd/"
install -m 0644 "scripts/rpm/xcp-ceph-rbd.tmpfiles" "$tree/systemd/"
install -m 0644 scripts/rpm/ceph-rbd-gc.conf.example README.md "$tree/"
# Without the bytecode scripts/build.mjs compiled for this machine's Python: the spec's %post
# compiles it on the host, by the host's.
tar -C "$work/src" --owner=0 --group=0 --sort=name --exclude=__pycache__ -czf "$top/SOURCES/xcp-ceph-rbd-$version.tar.gz" "xcp-ceph-rbd-$version"
[[ -z $tarball ]] || cp "$tarball" "$top/SOURCES/"

log=$work/rpmbuild.log
if ! rpmbuild -bb --target x86_64 \
  --define "_topdir $top" \
  --define "pkg_version $version" \
  --define "pkg_release $release" \
  "${runtime_args[@]}" \
  scripts/rpm/xcp-ceph-rbd.spec >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "rpmbuild failed"
fi

mkdir -p "$outdir"
for rpm in "$top"/RPMS/*/*.rpm; do
  cp "$rpm" "$outdir/"
  echo "$(cd "$outdir" && pwd)/$(basename "$rpm")"
done
