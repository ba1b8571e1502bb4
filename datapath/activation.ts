// Exclusive activation across the pool: the host a volume is active on is recorded in the SR's
// metadata (`act:<key>`), under the volume's lock. A second host activating a volume that is
// not sharable gets ["Activated_on_another_host", <host uuid>] (xapi's exact shape); attach
// takes no part in it, so live migration (attach on the destination first) works.
//
// The claim comes before the datapath starts: an intent (`starting`, no clients) is written
// first, so a host that takes the volume's lock later (this one's lease having run out in the
// middle of a slow start) sees the volume taken and is refused. Then the final record, with this
// host's own Ceph clients, which is what fencing blocklists. A failed start removes the intent;
// a crash leaves it, and then this host may activate again while another is refused until an
// admin fences this one (`fence --force`: nothing known to blocklist).
import { withLock } from "../plugins/ceph/locks.js";
import { crashPoint } from "../plugins/crash.js";
import { isEntityAddr } from "../plugins/wire/entity-addr.js";
import { omapRead, omapRemove, omapSet } from "../plugins/ceph/rados.js";
import { Activated_on_another_host, Internal_error, Volume_does_not_exist } from "../plugins/wire/errors.js";
import { activationKey, META_OBJECT, parseActivation, volumeKey, type Activation } from "../plugins/wire/sr-object.js";
import { hostId } from "../plugins/host-id.js";
import type { Target } from "./target.js";

const sharable = (record: string | undefined): boolean => {
  try {
    return (JSON.parse(record ?? "{}") as { sharable?: boolean }).sharable === true;
  } catch {
    return false;
  }
};

// A datapath's part: start (or find running) its server and name this host's own clients of the
// image, given those this host recorded before (a repeated activate); stop undoes a failed start.
export interface Datapath {
  start(recorded: readonly string[]): Promise<string[]>;
  stop(): Promise<void>;
}

// Clients that fencing could not blocklist, or blocklist wrongly, make the activation fail.
function checkClients(t: Target, clients: readonly string[]): void {
  if (clients.length === 0) throw new Internal_error(`no Ceph client of this host found for ${t.image}: without one the volume could not be fenced`);
  const bad = clients.filter((c) => !isEntityAddr(c));
  if (bad.length > 0) throw new Internal_error(`not a Ceph client address: ${bad.join(", ")}`);
}

export async function activate(t: Target, domain: string, dp: Datapath): Promise<void> {
  const host = hostId();
  await withLock(t, volumeKey(t.key), async () => {
    const entries = await omapRead(t.place, t.log, META_OBJECT, [volumeKey(t.key), activationKey(t.key)]);
    const record = entries.get(volumeKey(t.key));
    if (record === undefined) throw new Volume_does_not_exist(t.key, `no volume ${t.key} in ${t.place.pool}/${t.place.namespace}`);
    const current = parseActivation(entries.get(activationKey(t.key)));
    if (current && current.host !== host && !sharable(record))
      throw new Activated_on_another_host(current.host, `volume ${t.key} is active on host ${current.host}`);
    const recorded = current?.host === host && !current.starting ? current.clients : [];
    const since = new Date().toISOString();
    const write = (a: Activation) => omapSet(t.place, t.log, META_OBJECT, activationKey(t.key), JSON.stringify(a));
    await write({ host, domain, scheme: t.scheme, since, clients: [], starting: true });
    let clients: string[];
    try {
      clients = await dp.start(recorded);
      checkClients(t, clients);
    } catch (e) {
      await undo(t, host, dp);
      throw e;
    }
    crashPoint("activate:started");
    await write({ host, domain, scheme: t.scheme, since, clients });
  });
}

// The volume's own entries only: an activation costs the same in an SR of any size.
const activationOf = async (t: Target): Promise<Activation | undefined> =>
  parseActivation((await omapRead(t.place, t.log, META_OBJECT, [activationKey(t.key)])).get(activationKey(t.key)));

// After a failed start: the server goes, and the intent too while it is still this host's.
async function undo(t: Target, host: string, dp: Datapath): Promise<void> {
  try {
    await dp.stop();
    const now = await activationOf(t);
    if (now?.host === host) await omapRemove(t.place, t.log, META_OBJECT, activationKey(t.key));
  } catch (e) {
    t.log.warning(`could not undo the failed activation of ${t.key}: ${(e as Error).message}`);
  }
}

// Only this host's own record goes; another host's activation is not ours to clear.
export async function deactivate(t: Target): Promise<void> {
  const host = hostId();
  const current = await activationOf(t);
  if (current?.host === host) await omapRemove(t.place, t.log, META_OBJECT, activationKey(t.key));
}
