// The rbd+nbd datapath: a qemu-storage-daemon per active volume on this host, exporting the
// image over NBD on a unix socket whose path follows from the volume alone, so attach can name
// it before the server exists and any later call finds the server again.
import { networkInterfaces } from "node:os";
import { entityIp } from "../plugins/wire/entity-addr.js";
import { exportPid, startExport, stopExport, type Export } from "../plugins/ceph/qsd.js";
import { watchersOf, type Watcher } from "../plugins/ceph/watchers.js";
import { Ceph_error } from "../plugins/wire/errors.js";
import type { Backend } from "../plugins/wire/records.js";
import { exportOf } from "../plugins/ceph/qsd-grow.js";
import type { Target } from "./target.js";

const exportOfTarget = (t: Target): Export => exportOf(t.place, t.key);

const nbdUri = (e: Export): string => `nbd:unix:${e.socket}:exportname=${e.name}`;

export function attachNbd(t: Target): Backend {
  const e = exportOfTarget(t);
  return {
    implementations: [
      ["XenDisk", { params: nbdUri(e), extra: {}, backend_type: "qdisk" }],
      ["Nbd", { uri: nbdUri(e) }],
    ],
  };
}

const localIps = (): Set<string> => new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address)));

// The server's own librbd client: the one watcher that appeared while it started. The start runs
// under the volume's lock, so no other activation opens the image meanwhile; any other newcomer
// (or none, or one from another host's address) makes the client unknowable, and the start fails.
function ownClient(t: Target, fresh: readonly Watcher[]): string {
  const only = fresh.length === 1 ? fresh[0] : undefined;
  if (only === undefined) {
    throw new Ceph_error(
      t.image,
      `cannot tell this host's qemu-storage-daemon client of ${t.image} apart: ${fresh.length} client(s) began watching it while it started (${fresh.map((w) => w.address).join(", ")})`,
    );
  }
  const ip = entityIp(only.address);
  if (ip === undefined || !localIps().has(ip))
    throw new Ceph_error(t.image, `the client that began watching ${t.image} while its export started (${only.address}) is not on this host`);
  return only.address;
}

// Returns this host's client of the image: the running server's, as recorded, or a new server's.
export async function startNbd(t: Target, recorded: readonly string[]): Promise<string[]> {
  const e = exportOfTarget(t);
  if (exportPid(e) !== undefined) {
    if (recorded.length > 0) return [...recorded];
    t.log.warning(`restarting the export of ${t.key}: no client of it is recorded (an activation that did not finish)`);
  }
  await stopExport(e, t.log);
  const before = new Set((await watchersOf(t.place, t.log, t.image)).map((w) => w.address));
  await startExport(t.place, t.log, t.image, t.snap, e);
  const fresh = (await watchersOf(t.place, t.log, t.image)).filter((w) => !before.has(w.address));
  return [ownClient(t, fresh)];
}

export const stopNbd = (t: Target): Promise<void> => stopExport(exportOfTarget(t), t.log);
