// qemu-storage-daemon serving one RBD image (or snapshot) as an NBD export on a unix socket:
// the userspace datapath. It daemonises once the export is ready and is found again through
// its pid file; stopping it removes the socket it leaves behind.
import { readFileSync, rmSync } from "node:fs";
import type { Logger } from "../log.js";
import type { Place } from "./cluster.js";
import { runCeph } from "./exec.js";

export interface Export {
  readonly socket: string;
  readonly pidFile: string;
  readonly name: string;
}

// The keyring and monitors of the device-config reach librbd through CEPH_ARGS: QEMU's rbd
// driver has no options for them.
const cephArgs = (p: Place): Record<string, string> => {
  const extra = [...(p.cluster.keyring ? ["--keyring", p.cluster.keyring] : []), ...(p.cluster.monHost ? ["--mon-host", p.cluster.monHost] : [])];
  return extra.length > 0 ? { CEPH_ARGS: extra.join(" ") } : {};
};

// QEMU's option syntax uses ',' as a separator: a literal comma is doubled.
const opt = (v: string) => v.replaceAll(",", ",,");

export async function startExport(p: Place, log: Logger, image: string, snap: string | undefined, e: Export): Promise<void> {
  const blockdev = [
    "driver=rbd",
    "node-name=disk",
    `pool=${opt(p.pool)}`,
    ...(p.namespace ? [`namespace=${opt(p.namespace)}`] : []),
    `image=${opt(image)}`,
    ...(snap ? [`snapshot=${opt(snap)}`] : []),
    `conf=${opt(p.cluster.conf)}`,
    `user=${opt(p.cluster.user)}`,
    "cache.direct=on",
    ...(snap ? ["read-only=on"] : []),
  ].join(",");
  await runCeph({
    tool: "qemu-storage-daemon",
    args: [
      "--blockdev", blockdev,
      "--nbd-server", `addr.type=unix,addr.path=${opt(e.socket)}`,
      "--export", `type=nbd,id=export,node-name=disk,name=${opt(e.name)},writable=${snap ? "off" : "on"}`,
      "--pidfile", e.pidFile,
      "--daemonize",
    ],
    connection: [],
    env: cephArgs(p),
    log,
  });
}

export function exportPid(e: Export): number | undefined {
  try {
    const pid = Number(readFileSync(e.pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(e.socket) ? pid : undefined;
  } catch {
    return undefined;
  }
}

// Asks the server to finish (it flushes), then insists; bounded either way.
export async function stopExport(e: Export, log: Logger, graceMs = 10_000): Promise<void> {
  const pid = exportPid(e);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    const until = Date.now() + graceMs;
    while (Date.now() < until && exportPid(e) === pid) await new Promise((r) => setTimeout(r, 50));
    if (exportPid(e) === pid) {
      log.warning(`qemu-storage-daemon ${pid} did not stop within ${graceMs} ms: killing it`);
      process.kill(pid, "SIGKILL");
    }
  }
  rmSync(e.socket, { force: true });
  rmSync(e.pidFile, { force: true });
}
