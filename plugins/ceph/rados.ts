// RADOS object, omap and advisory-lock commands (`rados`), one small function each.
import type { Logger } from "../log.js";
import { clientArgs, type Place } from "./cluster.js";
import { runCeph } from "./exec.js";
import { parseOmapDump } from "./omap-dump.js";
import { LockInfo, parseJson } from "./outputs.js";

const rados = (p: Place, log: Logger, args: string[], input?: string) =>
  runCeph({
    tool: "rados",
    args: ["--pool", p.pool, "--namespace", p.namespace, ...args],
    connection: clientArgs(p.cluster),
    log,
    ...(input !== undefined ? { input } : {}),
  });

export async function omapList(p: Place, log: Logger, obj: string): Promise<Map<string, string>> {
  const dump = parseOmapDump(await rados(p, log, ["listomapvals", obj]));
  return new Map([...dump].map(([k, v]) => [k, v.toString("utf8")]));
}

// The value goes through stdin: any length, any bytes, nothing in the process list.
export async function omapSet(p: Place, log: Logger, obj: string, key: string, value: string): Promise<void> {
  await rados(p, log, ["setomapval", obj, key], value);
}

export async function omapRemove(p: Place, log: Logger, obj: string, key: string): Promise<void> {
  await rados(p, log, ["rmomapkey", obj, key]);
}

export async function objectCreate(p: Place, log: Logger, obj: string): Promise<void> {
  await rados(p, log, ["create", obj]);
}

export async function objectRemove(p: Place, log: Logger, obj: string): Promise<void> {
  await rados(p, log, ["rm", obj]);
}

export async function lockGet(p: Place, log: Logger, obj: string, lock: string, cookie: string, seconds: number): Promise<void> {
  await rados(p, log, ["lock", "get", obj, lock, "--lock-cookie", cookie, "--lock-type", "exclusive", "--lock-duration", String(seconds)]);
}

export async function lockHolders(p: Place, log: Logger, obj: string, lock: string) {
  return parseJson(LockInfo, await rados(p, log, ["lock", "info", obj, lock, "--format", "json"]), "rados lock info").lockers;
}

export async function lockBreak(p: Place, log: Logger, obj: string, lock: string, locker: string, cookie: string): Promise<void> {
  await rados(p, log, ["lock", "break", obj, lock, locker, "--lock-cookie", cookie]);
}
