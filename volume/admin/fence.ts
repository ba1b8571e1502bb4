// Taking a volume over from a dead host: its librbd clients (recorded at activate) are
// blocklisted, so they can never write again even if the host comes back, the image's locks
// are broken, and the activation record goes. Explicit, logged, never automatic: only an admin
// knows that the host is really dead.
import { blocklistAdd } from "../../plugins/ceph/mon.js";
import { omapRemove } from "../../plugins/ceph/rados.js";
import { imageLockBreakAll } from "../../plugins/ceph/rbd.js";
import { activationKey, META_OBJECT } from "../../plugins/wire/sr-object.js";
import { readSr, type Sr } from "../meta/store.js";

export interface FenceReport {
  key: string;
  host: string;
  blocklisted: string[];
  locksBroken: number;
}

export async function fence(sr: Sr, key: string, deadHost: string): Promise<FenceReport> {
  const state = await readSr(sr);
  const v = state.volumes.get(key);
  const a = state.active.get(key);
  if (!v) throw new Error(`no volume ${key} in this SR`);
  if (!a) throw new Error(`volume ${key} is not active on any host`);
  if (a.host !== deadHost) throw new Error(`volume ${key} is active on ${a.host}, not on ${deadHost}: refusing`);
  sr.log.warning(`fencing host ${deadHost} off volume ${key}: blocklisting ${a.clients.join(", ") || "no recorded client"}`);
  for (const address of a.clients) await blocklistAdd(sr.ref.cluster, sr.log, address);
  const locksBroken = await imageLockBreakAll(sr.ref, sr.log, v.record.image);
  await omapRemove(sr.ref, sr.log, META_OBJECT, activationKey(key));
  sr.log.warning(`fenced host ${deadHost} off volume ${key}: ${a.clients.length} client(s) blocklisted, ${locksBroken} lock(s) broken`);
  return { key, host: deadHost, blocklisted: a.clients, locksBroken };
}
