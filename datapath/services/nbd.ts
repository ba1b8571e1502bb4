// The rbd+nbd datapath: a qemu-storage-daemon per active volume on this host, exporting the
// image over NBD on a unix socket whose path follows from the volume alone, so attach can name
// it before the server exists and any later call finds the server again.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { imageWatchers } from "../../plugins/ceph/rbd.js";
import { exportPid, startExport, stopExport, type Export } from "../../plugins/ceph/qsd.js";
import type { Backend } from "../../plugins/wire/records.js";
import { runDir } from "../../plugins/run-dir.js";
import type { Target } from "./target.js";

export function exportOf(t: Target): Export {
  const id = createHash("sha256").update(`${t.place.pool}/${t.place.namespace}/${t.key}`).digest("hex").slice(0, 20);
  const dir = join(runDir(), "nbd");
  return { socket: join(dir, `${id}.sock`), pidFile: join(dir, `${id}.pid`), name: t.key };
}

export const nbdUri = (e: Export): string => `nbd:unix:${e.socket}:exportname=${e.name}`;

export function attachNbd(t: Target): Backend {
  const e = exportOf(t);
  return {
    implementations: [
      ["XenDisk", { params: nbdUri(e), extra: {}, backend_type: "qdisk" }],
      ["Nbd", { uri: nbdUri(e) }],
    ],
  };
}

// Returns the librbd client addresses of the server, for the activation record (fencing).
export async function startNbd(t: Target): Promise<string[]> {
  const e = exportOf(t);
  if (exportPid(e) === undefined) {
    mkdirSync(join(runDir(), "nbd"), { recursive: true });
    await stopExport(e, t.log);
    await startExport(t.place, t.log, t.image, t.snap, e);
  }
  return imageWatchers(t.place, t.log, t.image).catch(() => []);
}

export const stopNbd = (t: Target): Promise<void> => stopExport(exportOf(t), t.log);
