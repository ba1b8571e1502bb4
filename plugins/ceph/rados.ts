// RADOS object, omap and advisory-lock operations, one small function each: through this
// process's librados session, but for the lock inspection and breaking that only the `rados`
// CLI offers (rare: releasing a lock the session no longer holds).
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { CephError } from "./errors.js";
import { type Call, runCeph } from "./exec.js";
import { guardsFor } from "./holds.js";
import { LockInfo, parseJson } from "./outputs.js";
import { librados } from "./session.js";
import { cephCalls } from "./stats.js";

const rados = (p: Place, log: Logger, args: string[], how?: Pick<Call, "read">) =>
  runCeph({
    tool: "rados",
    args: ["--pool", p.pool, "--namespace", p.namespace, ...args],
    connection: clientArgs(p.cluster),
    log,
    ...how,
  });

const where = (p: Place, obj: string) => `${p.pool}/${p.namespace}/${obj}`;

// Entries read are counted (stats.ts): what a verb's metadata read costs, in the per-verb log line.
const counted = (pairs: Array<[string, string]>): Map<string, string> => {
  cephCalls.omapEntries += pairs.length;
  return new Map(pairs);
};

// Entries per answer of a whole listing: what each process holds of it at once is a page, not the
// object (an SR of 10,000 volumes has 60,000 entries).
const OMAP_PAGE = 4096;

export async function omapList(p: Place, log: Logger, obj: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let after = "";
  for (;;) {
    const page = await librados<Array<[string, string]>>(p, log, `listomapvals ${where(p, obj)}${after ? " (more)" : ""}`, "omap_list", {
      obj,
      after,
      max: OMAP_PAGE,
    });
    cephCalls.omapEntries += page.length;
    for (const [k, v] of page) out.set(k, v);
    // A page is short only at the end (the session reads as many times as the OSD's own cap takes).
    const last = page.at(-1);
    if (page.length < OMAP_PAGE || !last) return out;
    after = last[0];
  }
}

// The named keys that exist, and every entry under each prefix: a read whose cost is what it
// asks for, whatever else the object holds.
export async function omapRead(p: Place, log: Logger, obj: string, keys: readonly string[], prefixes: readonly string[] = []): Promise<Map<string, string>> {
  const what = `getomapvals ${where(p, obj)} ${keys.length} keys ${prefixes.join(" ")}`;
  return counted(await librados<Array<[string, string]>>(p, log, what, "omap_read", { obj, keys, prefixes }));
}

let toldSeparate = false;

// One atomic write: every key set and every key removed, or none. Under a lock on the object
// (holds.ts), only while that lock is still held: otherwise nothing is written, Lock_lost.
export async function omapUpdate(p: Place, log: Logger, obj: string, set: Readonly<Record<string, string>>, remove: readonly string[] = []): Promise<void> {
  const keys = [...Object.keys(set), ...remove];
  const holds = await guardsFor(p, obj);
  const guards = holds.map((h) => ({ name: h.name, cookie: h.cookie }));
  try {
    const r = await librados<{ guarded?: string } | null>(p, log, `omap update ${where(p, obj)} ${keys.join(" ")}`, "omap_update", {
      obj,
      set,
      rm: remove,
      guards,
    });
    if (r?.guarded === "separate" && !toldSeparate) {
      toldSeparate = true;
      log.debug("this rados binding has no WriteOp.execute: locks are asserted just before each write, not within it");
    }
  } catch (e) {
    // The lock check failed (EBUSY: not ours any more; ENOENT: no lock at all): nothing written.
    if (holds.length === 0 || !(e instanceof CephError && (e.kind === "busy" || e.kind === "not_found"))) throw e;
    for (const h of holds) h.lose(`a write found it held by nobody or another: ${e.stderr}`);
    throw holds[0]!.error();
  }
}

export const omapSet = (p: Place, log: Logger, obj: string, key: string, value: string): Promise<void> => omapUpdate(p, log, obj, { [key]: value });

export const omapRemove = (p: Place, log: Logger, obj: string, key: string): Promise<void> => omapUpdate(p, log, obj, {}, [key]);

export async function objectRemove(p: Place, log: Logger, obj: string): Promise<void> {
  await librados(p, log, `rm ${where(p, obj)}`, "obj_remove", { obj });
}

// renew: extend a lock this client still holds, and only that (busy or not_found otherwise).
export async function lockGet(p: Place, log: Logger, obj: string, lock: string, cookie: string, seconds: number, renew = false): Promise<void> {
  await librados(p, log, `lock ${renew ? "renew" : "get"} ${where(p, obj)} ${lock}`, "lock", { obj, name: lock, cookie, seconds, renew });
}

// Only this session can release its lock by cookie; another process breaks it (lockBreak).
export async function lockRelease(p: Place, log: Logger, obj: string, lock: string, cookie: string): Promise<void> {
  await librados(p, log, `unlock ${where(p, obj)} ${lock}`, "unlock", { obj, name: lock, cookie });
}

export async function lockHolders(p: Place, log: Logger, obj: string, lock: string) {
  return parseJson(LockInfo(), await rados(p, log, ["lock", "info", obj, lock, "--format", "json"], { read: true }), "rados lock info").lockers;
}

export async function lockBreak(p: Place, log: Logger, obj: string, lock: string, locker: string, cookie: string): Promise<void> {
  await rados(p, log, ["lock", "break", obj, lock, locker, "--lock-cookie", cookie]);
}
