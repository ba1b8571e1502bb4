// Exclusive activation across the pool: the host a volume is active on is recorded in the SR's
// metadata (`act:<key>`), under the volume's lock. A second host activating a volume that is
// not sharable gets ["Activated_on_another_host", <host uuid>] (xapi's exact shape); attach
// takes no part in it, so live migration (attach on the destination first) works.
import { withLock } from "../../plugins/ceph/locks.js";
import { crashPoint } from "../../plugins/crash.js";
import { omapList, omapRemove, omapSet } from "../../plugins/ceph/rados.js";
import { Activated_on_another_host, Volume_does_not_exist } from "../../plugins/wire/errors.js";
import { activationKey, META_OBJECT, parseActivation, type Activation } from "../../plugins/wire/sr-object.js";
import { hostId, type Target } from "./target.js";

const sharable = (record: string | undefined): boolean => {
  try {
    return (JSON.parse(record ?? "{}") as { sharable?: boolean }).sharable === true;
  } catch {
    return false;
  }
};

// Runs `start` (the datapath's own work) only once the volume is ours, then records it.
export async function activate(t: Target, domain: string, start: () => Promise<string[]>): Promise<void> {
  const host = hostId();
  const sr = { ref: t.place, log: t.log };
  await withLock(sr, `vol:${t.key}`, async () => {
    const entries = await omapList(t.place, t.log, META_OBJECT);
    const record = entries.get(`vol:${t.key}`);
    if (record === undefined) throw new Volume_does_not_exist(t.key, `no volume ${t.key} in ${t.place.pool}/${t.place.namespace}`);
    const current = parseActivation(entries.get(activationKey(t.key)));
    if (current && current.host !== host && !sharable(record)) throw new Activated_on_another_host(current.host, `volume ${t.key} is active on host ${current.host}`);
    const clients = await start();
    crashPoint("activate:started");
    const mine: Activation = { host, domain, scheme: t.scheme, since: new Date().toISOString(), clients };
    await omapSet(t.place, t.log, META_OBJECT, activationKey(t.key), JSON.stringify(mine));
  });
}

// Only this host's own record goes; another host's activation is not ours to clear.
export async function deactivate(t: Target): Promise<void> {
  const host = hostId();
  const entries = await omapList(t.place, t.log, META_OBJECT);
  const current = parseActivation(entries.get(activationKey(t.key)));
  if (current?.host === host) await omapRemove(t.place, t.log, META_OBJECT, activationKey(t.key));
}
