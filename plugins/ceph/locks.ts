// Cross-process, cross-host mutual exclusion: RADOS advisory locks on the SR's metadata object,
// one lock name per volume key (or "sr" for the whole SR). Each lock has a lease, so a process
// that dies holding one blocks the others for at most the lease, never forever.
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import { Busy } from "../wire/errors.js";
import { META_OBJECT } from "../wire/sr-object.js";
import type { Place } from "./cluster.js";
import { CephError } from "./errors.js";
import { lockBreak, lockGet, lockHolders, lockRelease } from "./rados.js";

// Where a lock lives: the SR's metadata object in the SR's namespace.
interface Holder {
  readonly ref: Place;
  readonly log: Logger;
}

const envSeconds = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

// A verb's work under a lock is a handful of bounded Ceph calls; the lease is well above that.
export const leaseSeconds = () => envSeconds("CEPH_RBD_LOCK_LEASE", 60);
const patience = () => envSeconds("CEPH_RBD_LOCK_WAIT", 45);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  // false: a busy lock fails at once (for background work that can come back later).
  readonly wait?: boolean;
  // Seconds; for work known to take longer than a verb's.
  readonly lease?: number;
}

export async function withLock<T>(sr: Holder, name: string, work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const cookie = randomUUID();
  const giveUp = Date.now() + (opts.wait === false ? 0 : patience() * 1000);
  for (let delay = 100; ; delay = Math.min(delay * 1.5, 2000)) {
    try {
      await lockGet(sr.ref, sr.log, META_OBJECT, name, cookie, opts.lease ?? leaseSeconds());
      break;
    } catch (e) {
      if (!(e instanceof CephError && e.kind === "busy")) throw e;
      if (Date.now() + delay > giveUp) throw new Busy(name, `${name} is locked by another operation; try again`);
      await sleep(delay * (0.5 + Math.random()));
    }
  }
  try {
    return await work();
  } finally {
    await release(sr, name, cookie);
  }
}

// Our session releases its own lock by cookie. Should the session have been replaced meanwhile
// (an operation timed out), the lock is found by its cookie and broken; failing that, it only
// delays others until its lease ends. A cluster that did not answer the release would not
// answer the CLIs either: the lease alone ends that lock, and the verb its wait.
async function release(sr: Holder, name: string, cookie: string): Promise<void> {
  try {
    await lockRelease(sr.ref, sr.log, META_OBJECT, name, cookie);
  } catch (e) {
    if (e instanceof CephError && (e.kind === "timeout" || e.kind === "unreachable")) {
      sr.log.warning(`could not release lock ${name}: ${e.message}; it expires with its lease`);
      return;
    }
    try {
      const holder = (await lockHolders(sr.ref, sr.log, META_OBJECT, name)).find((l) => l.cookie === cookie);
      if (holder) await lockBreak(sr.ref, sr.log, META_OBJECT, name, holder.name, cookie);
    } catch (e) {
      sr.log.warning(`could not release lock ${name}: ${(e as Error).message}; it expires with its lease`);
    }
  }
}
