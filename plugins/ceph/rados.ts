// RADOS object, omap and advisory-lock operations, one small function each: through this
// process's librados session, but for the lock inspection and breaking that only the `rados`
// CLI offers (rare: releasing a lock the session no longer holds).
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { type Call, runCeph } from "./exec.js";
import { LockInfo, parseJson } from "./outputs.js";
import { librados } from "./session.js";

const rados = (p: Place, log: Logger, args: string[], how?: Pick<Call, "read">) =>
  runCeph({
    tool: "rados",
    args: ["--pool", p.pool, "--namespace", p.namespace, ...args],
    connection: clientArgs(p.cluster),
    log,
    ...how,
  });

const where = (p: Place, obj: string) => `${p.pool}/${p.namespace}/${obj}`;

export async function omapList(p: Place, log: Logger, obj: string): Promise<Map<string, string>> {
  return new Map(await librados<Array<[string, string]>>(p, log, `listomapvals ${where(p, obj)}`, "omap_list", { obj }));
}

// One atomic write: every key set and every key removed, or none.
export async function omapUpdate(p: Place, log: Logger, obj: string, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
  const keys = [...Object.keys(set), ...remove];
  await librados(p, log, `omap update ${where(p, obj)} ${keys.join(" ")}`, "omap_update", { obj, set, rm: remove });
}

export const omapSet = (p: Place, log: Logger, obj: string, key: string, value: string): Promise<void> => omapUpdate(p, log, obj, { [key]: value });

export const omapRemove = (p: Place, log: Logger, obj: string, key: string): Promise<void> => omapUpdate(p, log, obj, {}, [key]);

export async function objectCreate(p: Place, log: Logger, obj: string): Promise<void> {
  await librados(p, log, `create ${where(p, obj)}`, "obj_create", { obj });
}

export async function objectRemove(p: Place, log: Logger, obj: string): Promise<void> {
  await librados(p, log, `rm ${where(p, obj)}`, "obj_remove", { obj });
}

export async function lockGet(p: Place, log: Logger, obj: string, lock: string, cookie: string, seconds: number): Promise<void> {
  await librados(p, log, `lock get ${where(p, obj)} ${lock}`, "lock", { obj, name: lock, cookie, seconds });
}

// Only this session can release its lock by cookie; another process breaks it (lockBreak).
export async function lockRelease(p: Place, log: Logger, obj: string, lock: string, cookie: string): Promise<void> {
  await librados(p, log, `unlock ${where(p, obj)} ${lock}`, "unlock", { obj, name: lock, cookie });
}

export async function lockHolders(p: Place, log: Logger, obj: string, lock: string) {
  return parseJson(LockInfo, await rados(p, log, ["lock", "info", obj, lock, "--format", "json"], { read: true }), "rados lock info").lockers;
}

export async function lockBreak(p: Place, log: Logger, obj: string, lock: string, locker: string, cookie: string): Promise<void> {
  await rados(p, log, ["lock", "break", obj, lock, locker, "--lock-cookie", cookie]);
}
