#!/usr/bin/env bash
# The main job end to end on a throwaway local cluster (npm run demo): installs what is missing,
# builds the plugins (dist/install/), starts a single-node Ceph on 127.0.0.1, then drives the
# built verb executables exactly as xapi-storage-script does (`<Verb> --json`, params on stdin):
# an SR, a VM's disk written, snapshotted, overwritten, reverted natively and through the
# old-xapi flow, an incremental backup from changed-block tracking through the NBD export, and
# the GC reclaiming behind both, each step with its time. The cluster is
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/install-ceph.sh
[ -d node_modules ] || bash scripts/npm-deps.sh
node scripts/build.mjs

dir=$(mktemp -d /tmp/ceph-rbd-demo.XXXXXX)
trap 'bash "$root/scripts/ceph-local.sh" down "$dir" >/dev/null 2>&1 || true' EXIT
eval "$(CEPH_LOCAL_PORT=${CEPH_LOCAL_PORT:-24000} bash scripts/ceph-local.sh up "$dir")"
export CEPH_CONF
export CEPH_RBD_LOG_SYSLOG=off CEPH_RBD_LOG_STDERR=warning CEPH_RBD_GC=off

plugin=$root/dist/install/volume/org.xen.xapi.storage.ceph-rbd
admin=$root/dist/install/bin/ceph-rbd-admin
ms() { date +%s%3N; }
say() { printf '\n# %s\n' "$*" >&2; }
# run DIR NAME JSON: run one plugin executable as xapi-storage-script does; show the call, its
# answer (cut) and its time.
run() {
  local out rc=0 t0
  t0=$(ms)
  out=$(printf '%s' "$3" | "$1/$2" --json) || rc=$?
  printf '$ %-18s %5d ms  -> %s\n' "$2" "$(($(ms) - t0))" "$(cut -c1-110 <<<"$out")" >&2
  [ "$rc" -eq 0 ] || { echo "demo: $2 failed: $out" >&2; exit 1; }
  printf '%s' "$out"
}
verb() { run "$plugin" "$@"; }
field() { node -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8"));process.stdout.write(String(eval("v"+process.argv[1])))' "$1"; }
spec() { field '.uri[0]' | sed -E 's#^[a-z+]+://([^?]+)\?.*#\1#'; }
write() { qemu-io -f raw -c "write -P $2 0 $3" "rbd:$1:conf=$CEPH_CONF:id=admin" >/dev/null; }
sum() { rbd export --no-progress "$1" - | sha256sum | cut -c1-16; }

say "an SR: SR.create, SR.attach on a host, SR.stat"
uuid=$(cat /proc/sys/kernel/random/uuid)
config=$(verb SR.create "{\"dbg\":\"demo\",\"uuid\":\"$uuid\",\"configuration\":{\"pool\":\"$CEPH_POOL\",\"conf\":\"$CEPH_CONF\"},\"name\":\"Ceph RBD\",\"description\":\"demo SR\"}")
sr=$(verb SR.attach "{\"dbg\":\"demo\",\"configuration\":$config}" | field '')
verb SR.stat "{\"dbg\":\"demo\",\"sr\":\"$sr\"}" >/dev/null
p() { printf '{"dbg":"demo","sr":"%s"%s}' "$sr" "$1"; }

say "a VM's 1 GiB disk (vdi-create: Volume.create + Volume.set), 64 MiB written"
disk=$(verb Volume.create "$(p ',"name":"vm disk","description":"","size":1073741824,"sharable":false')")
key=$(field .key <<<"$disk")
verb Volume.set "$(p ",\"key\":\"$key\",\"k\":\"vdi-type\",\"v\":\"user\"")" >/dev/null
write "$(spec <<<"$disk")" 0x5a 64M
s1=$(verb Volume.snapshot "$(p ",\"key\":\"$key\"")")
at_s1=$(sum "$(spec <<<"$s1")")
write "$(spec <<<"$disk")" 0xa5 32M
say "overwritten after the snapshot: $(sum "$(spec <<<"$disk")") (snapshot holds $at_s1)"

say "native revert (xapi >= 26.16: Volume.revert): constant time, the disk keeps its key"
verb Volume.revert "$(p ",\"key\":\"$key\",\"snapshot\":\"$(field .key <<<"$s1")\"")" >/dev/null
now=$(verb Volume.stat "$(p ",\"key\":\"$key\"")")
say "same key $(field .key <<<"$now"), content $(sum "$(spec <<<"$now")") = snapshot $at_s1"
[ "$(sum "$(spec <<<"$now")")" = "$at_s1" ] || { echo "demo: native revert lost data" >&2; exit 1; }

say "the XCP-ng 8.3 flow: snapshot, overwrite, destroy the disk, clone the snapshot (no flatten)"
s2=$(verb Volume.snapshot "$(p ",\"key\":\"$key\"")")
at_s2=$(sum "$(spec <<<"$s2")")
write "$(spec <<<"$now")" 0x3c 128M
verb Volume.destroy "$(p ",\"key\":\"$key\"")" >/dev/null
clone=$(verb Volume.clone "$(p ",\"key\":\"$(field .key <<<"$s2")\"")")
[ "$(sum "$(spec <<<"$clone")")" = "$at_s2" ] || { echo "demo: the 8.3 flow lost data" >&2; exit 1; }
say "new disk $(field .key <<<"$clone") holds the snapshot's content $at_s2"

say "the VM starts on this host: Datapath.attach + activate through rbd+nbd, data through the NBD export"
dp=$root/dist/install/datapath/rbd+nbd
# One simulated host: its identity is a test-mode setting (plugins/test-mode.ts).
export CEPH_RBD_RUN_DIR=$dir/run CEPH_RBD_TEST_MODE=1 CEPH_RBD_HOST_UUID=$(cat /proc/sys/kernel/random/uuid)
# dpverb NAME URI: one datapath verb, for domain 1.
dpverb() { run "$dp" "$1" "$(printf '{"dbg":"demo","uri":"%s","domain":"1"}' "$2")"; }
vuri=$(field '.uri.find(u=>u.startsWith("rbd+nbd://"))' <<<"$clone")
nbd=$(dpverb Datapath.attach "$vuri" | field '.implementations.find(i=>i[0]==="Nbd")[1].uri')
dpverb Datapath.activate "$vuri" >/dev/null
export_uri=$(sed -E 's#^nbd:unix:(.+):exportname=(.+)$#nbd+unix:///\2?socket=\1#' <<<"$nbd")
qemu-io -f raw -c "write -P 0x77 256M 16M" "$export_uri" >/dev/null
readback=$(qemu-io -f raw -c "read -P 0x77 256M 16M" "$export_uri" 2>&1) || true
grep -q "^read 16777216/16777216 bytes" <<<"$readback" && ! grep -q "verification failed" <<<"$readback" || { echo "demo: the NBD export read back other data: $readback" >&2; exit 1; }
say "16 MiB written through $nbd and read back"
dpverb Datapath.deactivate "$vuri" >/dev/null
dpverb Datapath.detach "$vuri" >/dev/null
at_clone=$(sum "$(spec <<<"$clone")")

say "incremental backup with changed-block tracking: a full backup, then only the changed blocks, through the NBD export"
# backup SNAPSHOT FILE [BITMAP]: the snapshot exported read-only through rbd+nbd (attach,
# activate), copied whole or block by block by a backup's reader (scripts/nbd-copy.mjs), then
# deactivate and detach; prints the reader's figures.
backup() {
  local u n out
  u=$(field '.uri.find(u=>u.startsWith("rbd+nbd://"))' <<<"$1")
  n=$(dpverb Datapath.attach "$u" | field '.implementations.find(i=>i[0]==="Nbd")[1].uri')
  dpverb Datapath.activate "$u" >/dev/null
  out=$(node "$root/scripts/nbd-copy.mjs" --socket "$(sed -E 's#^nbd:unix:(.+):exportname=.*$#\1#' <<<"$n")" \
    --export "$(sed -E 's#^.*:exportname=##' <<<"$n")" --out "$2" ${3:+--bitmap "$3"})
  dpverb Datapath.deactivate "$u" >/dev/null
  dpverb Datapath.detach "$u" >/dev/null
  printf '%s' "$out"
}
vm=$(verb Volume.create "$(p ',"name":"backed-up disk","description":"","size":1073741824,"sharable":false')")
vkey=$(field .key <<<"$vm")
verb Volume.enable_cbt "$(p ",\"key\":\"$vkey\"")" >/dev/null
write "$(spec <<<"$vm")" 0x42 256M
b1=$(verb Volume.snapshot "$(p ",\"key\":\"$vkey\"")")
full=$(backup "$b1" "$dir/backup.img")
say "full backup of $(field .key <<<"$b1"): $(field .read <<<"$full") bytes read in $(field .ms <<<"$full") ms"
# As Xen Orchestra does once a backup is safe: the snapshot keeps only its CBT metadata.
verb Volume.data_destroy "$(p ",\"key\":\"$(field .key <<<"$b1")\"")" >/dev/null
# The VM writes on: 40 scattered writes of 4 KiB to 256 KiB.
cmds=()
for i in $(seq 1 40); do cmds+=(-c "write -P 0x$((i + 16)) $(((i * 7919 % 4000) * 65536 + i * 512)) $(((i % 8 + 1) * 32768))"); done
qemu-io -f raw "${cmds[@]}" "rbd:$(spec <<<"$vm"):conf=$CEPH_CONF:id=admin" >/dev/null
b2=$(verb Volume.snapshot "$(p ",\"key\":\"$vkey\"")")
changed=$(verb Volume.list_changed_blocks "$(p ",\"key\":\"$(field .key <<<"$b1")\",\"key2\":\"$(field .key <<<"$b2")\",\"offset\":0,\"length\":-1")")
blocks=$(field '.bitmap' <<<"$changed" | node -e 'const m=Buffer.from(require("fs").readFileSync(0,"utf8"),"base64");let n=0;for(const b of m)for(let i=0;i<8;i++)n+=(b>>i)&1;process.stdout.write(String(n))')
inc=$(backup "$b2" "$dir/backup.img" "$(field .bitmap <<<"$changed")")
say "incremental backup: $blocks changed 64 KiB blocks, $(field .read <<<"$inc") bytes read in $(field .ms <<<"$inc") ms (full: $(field .ms <<<"$full") ms)"
at_b2=$(sum "$(spec <<<"$b2")")
[ "$(sha256sum <"$dir/backup.img" | cut -c1-16)" = "$at_b2" ] || { echo "demo: the incremental backup differs from the snapshot" >&2; exit 1; }
say "backup checksum $at_b2 = the second snapshot's"
rm -f "$dir/backup.img"

say "the snapshots go; the GC reclaims what destroy and revert left behind"
verb Volume.destroy "$(p ",\"key\":\"$(field .key <<<"$s1")\"")" >/dev/null
verb Volume.destroy "$(p ",\"key\":\"$(field .key <<<"$s2")\"")" >/dev/null
"$admin" gc status --sr "$sr" >&2
t0=$(ms)
# Each pass waits for the mgr tasks it queued; a purge that a clone purged in the same pass still
# held goes in the next one.
passes=0
while [ "$passes" -lt 4 ]; do
  "$admin" gc run --sr "$sr" >&2
  passes=$((passes + 1))
  [ "$("$admin" gc status --sr "$sr" --json | field '.pending.length + v.tasks.length')" = 0 ] && break
done
say "gc: $passes passes, $(($(ms) - t0)) ms"
"$admin" gc status --sr "$sr" >&2
"$admin" fsck --sr "$sr" >&2
[ "$(sum "$(spec <<<"$clone")")" = "$at_clone" ] || { echo "demo: the GC changed a disk's content" >&2; exit 1; }
say "images left in the SR: $(rbd ls "$(spec <<<"$clone" | cut -d/ -f1-2)" | tr '\n' ' ')"

say "SR.ls, clean-up, SR.destroy"
for k in $(verb SR.ls "$(p '')" | field '.map(v=>v.key).join(" ")'); do
  verb Volume.destroy "$(p ",\"key\":\"$k\"")" >/dev/null
done
verb SR.destroy "$(p '')" >/dev/null
say "demo: OK"
