// Where a volume's NBD export lives on this host, and growing it while it runs.
//
// QEMU's NBD server fixes an export's size when the export is created and forbids resizing its
// node while it exists (nbd/server.c, nbd_export_create: "Don't allow resize while the NBD server
// is running" unshares BLK_PERM_RESIZE; QMP block_resize fails with a permission conflict). The
// NBD protocol has no message that tells a connected client of a new size: a client learns it
// only when it negotiates (NBD_OPT_GO / NBD_INFO_EXPORT). So the export grows by being
// re-created: removed over QMP in QEMU's safe mode, which refuses while any client is connected
// (whose view could not follow), the node resized, the export added again with the same name.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "../log.js";
import { privateRunDir } from "../run-dir.js";
import type { Place } from "./cluster.js";
import { withQmp, type Qmp } from "./qmp.js";
import { exportArgs, exportPid, qmpSocket, type Export } from "./qsd.js";

// Checked private on every use, not only when an export starts: its pid file names a process to
// signal, its sockets a daemon to command.
export function exportOf(p: Place, key: string): Export {
  const id = createHash("sha256").update(`${p.pool}/${p.namespace}/${key}`).digest("hex").slice(0, 20);
  const dir = privateRunDir("nbd");
  return { socket: join(dir, `${id}.sock`), pidFile: join(dir, `${id}.pid`), conf: join(dir, `${id}.conf`), name: key };
}

// Thrown when the export cannot be taken down for the grow: nothing has changed.
export class ExportInUse extends Error {}

// Removal is asynchronous (BLOCK_EXPORT_DELETED follows): the node is free once the export is
// no longer listed.
async function exportGone(q: Qmp): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (((await q.run("query-block-exports")) as unknown[]).length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the export was still listed 1 s after its removal");
}

// Runs `grow` (which grows the image) with the export down, then gives the export's node the
// new size and brings the export back; the export comes back even when `grow` fails. Returns
// false when no export of the volume runs on this host (nothing to do beyond `grow`).
export async function growExport(e: Export, size: number, log: Logger, grow: () => Promise<void>): Promise<boolean> {
  if (exportPid(e) === undefined) return false;
  await withQmp(qmpSocket(e), async (q) => {
    try {
      await q.run("block-export-del", { id: "export", mode: "safe" });
    } catch (err) {
      throw new ExportInUse((err as Error).message);
    }
    try {
      await exportGone(q);
      await grow();
      await q.run("block_resize", { "node-name": "disk", size });
    } finally {
      await q.run("block-export-add", exportArgs(e, true));
      log.info(`export ${e.name} re-created at ${size} bytes`);
    }
  });
  return true;
}
