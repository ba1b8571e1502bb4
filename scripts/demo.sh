#!/usr/bin/env bash
# The main job end to end on a throwaway local cluster (npm run demo): installs what is missing,
# builds the plugins, starts a single-node Ceph on 127.0.0.1, then drives the built verb
# executables exactly as xapi-storage-script does (`<Verb> --json`, params on stdin):
# SR.create + SR.attach + SR.stat, a disk's life (create, keys, snapshot, clone, resize), the
# XCP-ng 8.3 revert flow, SR.ls, and the clean-up. The cluster is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/install-ceph.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
node scripts/build.mjs

dir=$(mktemp -d /tmp/ceph-rbd-demo.XXXXXX)
trap 'bash "$root/scripts/ceph-local.sh" down "$dir" >/dev/null 2>&1 || true' EXIT
eval "$(CEPH_LOCAL_PORT=${CEPH_LOCAL_PORT:-24000} bash scripts/ceph-local.sh up "$dir")"
export CEPH_CONF
export CEPH_RBD_LOG_SYSLOG=off CEPH_RBD_LOG_STDERR=warning

plugin=$root/plugins/volume/org.xen.xapi.storage.ceph-rbd
# verb NAME JSON: run one verb as xapi does, show the call and its answer.
verb() {
  local out rc=0
  out=$(printf '%s' "$2" | "$plugin/$1" --json) || rc=$?
  printf '\n$ %s --json <<< %s\n%s\n' "$1" "$(cut -c1-160 <<<"$2")" "$out" >&2
  [ "$rc" -eq 0 ] || { echo "demo: $1 failed" >&2; exit 1; }
  printf '%s' "$out"
}
field() { node -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8"));process.stdout.write(String(eval("v"+process.argv[1])))' "$1"; }

uuid=$(cat /proc/sys/kernel/random/uuid)
config=$(verb SR.create "{\"dbg\":\"demo\",\"uuid\":\"$uuid\",\"configuration\":{\"pool\":\"$CEPH_POOL\",\"conf\":\"$CEPH_CONF\"},\"name\":\"Ceph RBD\",\"description\":\"demo SR\"}")
sr=$(verb SR.attach "{\"dbg\":\"demo\",\"configuration\":$config}" | field '')
verb SR.stat "{\"dbg\":\"demo\",\"sr\":\"$sr\"}" >/dev/null

disk=$(verb Volume.create "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"name\":\"vm disk\",\"description\":\"\",\"size\":1073741824,\"sharable\":false}")
key=$(field .key <<<"$disk")
image=$(field '.uri[0]' <<<"$disk" | sed -E 's#^[a-z+]+://([^?]+)\?.*#\1#')
verb Volume.set "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$key\",\"k\":\"vdi-type\",\"v\":\"user\"}" >/dev/null

echo -e "\n# writing 64 MiB of 0x5a into $image (as a VM would, through librbd)" >&2
qemu-io -f raw -c 'write -P 0x5a 0 64M' "rbd:$image:conf=$CEPH_CONF:id=admin" >/dev/null
before=$(rbd export --no-progress "$image" - | sha256sum | cut -c1-16)

snap=$(verb Volume.snapshot "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$key\"}")
snapkey=$(field .key <<<"$snap")
echo -e "\n# overwriting the disk after the snapshot" >&2
qemu-io -f raw -c 'write -P 0xa5 0 32M' "rbd:$image:conf=$CEPH_CONF:id=admin" >/dev/null
verb Volume.resize "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$key\",\"new_size\":2147483648}" >/dev/null

echo -e "\n# XCP-ng 8.3 revert: destroy the disk, then clone its snapshot" >&2
verb Volume.destroy "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$key\"}" >/dev/null
reverted=$(verb Volume.clone "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$snapkey\"}")
rimage=$(field '.uri[0]' <<<"$reverted" | sed -E 's#^[a-z+]+://([^?]+)\?.*#\1#')
after=$(rbd export --no-progress "$rimage" - | head -c 1073741824 | sha256sum | cut -c1-16)
echo -e "\n# content at snapshot time: $before; content of the reverted disk: $after" >&2
[ "$before" = "$after" ] || { echo "demo: the reverted disk does not hold the snapshot's data" >&2; exit 1; }

verb SR.ls "{\"dbg\":\"demo\",\"sr\":\"$sr\"}" | field '.map(v=>v.name+" "+v.key+(v.read_write?"":" (snapshot)")).join("\n")' >&2
echo >&2
echo -e "\n# clean-up: destroy the volumes, then the SR" >&2
for k in $(verb SR.ls "{\"dbg\":\"demo\",\"sr\":\"$sr\"}" | field '.map(v=>v.key).join(" ")'); do
  verb Volume.destroy "{\"dbg\":\"demo\",\"sr\":\"$sr\",\"key\":\"$k\"}" >/dev/null
done
verb SR.destroy "{\"dbg\":\"demo\",\"sr\":\"$sr\"}" >/dev/null
echo -e "\ndemo: OK" >&2
