// Taking a volume over from a dead host: its Ceph clients (recorded at activate: the host's own
// kernel or qemu-storage-daemon client) are blocklisted, so they can never write again even if
// the host comes back, the image's locks are broken, and the activation record goes. Explicit,
// logged, never automatic: only an admin knows that the host is really dead.
//
// Blocklisting cuts off the whole client, every image it has open: an address that another
// host's activation also records, in this SR or any other SR of the pool (a host's kernel RBD
// client serves all its mappings), is refused (it cannot be the dead host's alone). Without a
// client to blocklist (an activation that never finished, an unreadable record) the dead host
// could keep writing beside the new owner: refused unless the admin says --force.
import { isEntityAddr } from "../../plugins/wire/entity-addr.js";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import { blocklistAdd } from "../../plugins/ceph/mon.js";
import { omapRead, omapRemove } from "../../plugins/ceph/rados.js";
import { imageLockBreakAll, namespaceList } from "../../plugins/ceph/rbd.js";
import { ACTIVATION_PREFIX, activationKey, META_OBJECT, parseActivation, UNREADABLE_HOST, type Activation } from "../../plugins/wire/sr-object.js";
import { readSr, type Sr } from "../meta/store.js";

export interface FenceReport {
  key: string;
  host: string;
  blocklisted: string[];
  locksBroken: number;
}

// Why the recorded clients cannot be trusted to be all of the dead host's, or undefined.
function unknownClients(a: Activation): string | undefined {
  if (a.host === UNREADABLE_HOST) return "its activation record is unreadable, so its clients are unknown";
  if (a.starting === true) return "its activation never finished, so its clients are unknown (a qemu-storage-daemon may be running)";
  if (a.clients.length === 0) return "no client of it is recorded";
  const bad = a.clients.filter((c) => !isEntityAddr(c));
  if (bad.length > 0) return `its record holds what is not a client address (${bad.map((b) => JSON.stringify(b)).join(", ")})`;
  return undefined;
}

// The activations of every other namespace of the pool that holds an SR's metadata object.
async function otherSrsActivations(sr: Sr): Promise<Array<readonly [string, Activation]>> {
  const out: Array<readonly [string, Activation]> = [];
  for (const namespace of await namespaceList(sr.place, sr.log)) {
    if (namespace === sr.place.namespace) continue;
    // A namespace without the object is no SR; any other failure stops the fence.
    const entries = await ignoreNotFound(omapRead({ ...sr.place, namespace }, sr.log, META_OBJECT, [], [ACTIVATION_PREFIX]));
    for (const [k, text] of entries ?? []) {
      const o = parseActivation(text);
      if (o) out.push([`volume ${k.slice(ACTIVATION_PREFIX.length)} of the SR in namespace ${namespace}`, o]);
    }
  }
  return out;
}

export async function fence(sr: Sr, key: string, deadHost: string, force = false): Promise<FenceReport> {
  const state = await readSr(sr);
  const v = state.volumes.get(key);
  const a = state.active.get(key);
  if (!v) throw new Error(`no volume ${key} in this SR`);
  if (!a) throw new Error(`volume ${key} is not active on any host`);
  if (a.host !== deadHost && a.host !== UNREADABLE_HOST) throw new Error(`volume ${key} is active on ${a.host}, not on ${deadHost}: refusing`);
  const unknown = unknownClients(a);
  if (unknown !== undefined && !force)
    throw new Error(
      `refusing to fence ${deadHost} off volume ${key}: ${unknown}; nothing would stop it writing. If it is surely dead, run again with --force (breaks the locks and clears the activation, blocklists nothing unknown)`,
    );
  const clients = a.clients.filter(isEntityAddr);
  for (const [where, o] of [...[...state.active].map(([k, o]) => [`volume ${k}`, o] as const), ...(await otherSrsActivations(sr))]) {
    if (o.host === a.host) continue;
    const shared = clients.filter((c) => o.clients.includes(c));
    if (shared.length > 0)
      throw new Error(
        `refusing to blocklist ${shared.join(", ")}: host ${o.host}'s activation of ${where} records it too, and blocklisting it would cut that host off`,
      );
  }
  if (unknown !== undefined) sr.log.warning(`fencing host ${deadHost} off volume ${key} with --force: ${unknown}`);
  sr.log.warning(`fencing host ${deadHost} off volume ${key}: blocklisting ${clients.join(", ") || "no client"}`);
  for (const address of clients) await blocklistAdd(sr.place.cluster, sr.log, address);
  const locksBroken = await imageLockBreakAll(sr.place, sr.log, v.record.image);
  await omapRemove(sr.place, sr.log, META_OBJECT, activationKey(key));
  sr.log.warning(`fenced host ${deadHost} off volume ${key}: ${clients.length} client(s) blocklisted, ${locksBroken} lock(s) broken`);
  return { key, host: deadHost, blocklisted: clients, locksBroken };
}
