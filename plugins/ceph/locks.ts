// Cross-process, cross-host mutual exclusion: RADOS advisory locks on the SR's metadata object,
// one lock name per volume key (or "sr" for the whole SR). Each lock has a lease, so a process
// that dies holding one blocks the others for at most the lease, never forever. A live holder
// renews it every third of the lease, however long its work runs; a holder that stalls past its
// lease (a frozen host) may find the lock taken and its work rolled back by another: its lock is
// then lost, and its every later omap write fails instead of committing (holds.ts, rados.ts).
import { crypto } from "../builtin.js";
import { setting } from "../settings.js";
import { Busy } from "../wire/errors.js";
import { META_OBJECT } from "../wire/sr-object.js";
import type { AtPlace } from "./cluster.js";
import { CephError } from "./errors.js";
import { Hold, monotonicMs, under } from "./holds.js";
import { lockBreak, lockGet, lockHolders, lockRelease } from "./rados.js";
import { sessionGeneration } from "./session.js";

// A verb's work under a lock is a handful of bounded Ceph calls; the lease is well above that,
// and renewed while the work runs.
export const leaseSeconds = () => setting("lockLease");
const patience = () => setting("lockWait");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockOptions {
  // false: a busy lock fails at once (for background work that can come back later).
  readonly wait?: boolean;
  // Seconds; for work known to take longer than a verb's.
  readonly lease?: number;
}

// A lock lives on the SR's metadata object, at the place of the SR.
export async function withLock<T>(sr: AtPlace, name: string, work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const cookie = crypto().randomUUID();
  const lease = opts.lease ?? leaseSeconds();
  const giveUp = Date.now() + (opts.wait === false ? 0 : patience() * 1000);
  let sent: number;
  for (let delay = 100; ; delay = Math.min(delay * 1.5, 2000)) {
    try {
      sent = monotonicMs();
      await lockGet(sr.place, sr.log, META_OBJECT, name, cookie, lease);
      break;
    } catch (e) {
      if (!(e instanceof CephError && e.kind === "busy")) throw e;
      if (Date.now() + delay > giveUp) throw new Busy(name, `${name} is locked by another operation; try again`);
      await sleep(delay * (0.5 + Math.random()));
    }
  }
  // One re-take per new session, which every write and renewal under the lock waits for.
  let generation = sessionGeneration(sr.place.cluster);
  let rehoming: Promise<void> = Promise.resolve();
  const hold: Hold = new Hold(sr.place, META_OBJECT, name, cookie, lease * 1000, sent, () => {
    const now = sessionGeneration(sr.place.cluster);
    if (now !== generation && hold.lost() === undefined) {
      generation = now;
      rehoming = rehome(sr, hold, lease);
    }
    return rehoming;
  });
  const stop = keepRenewed(sr, hold, lease);
  try {
    return await under(hold, work);
  } finally {
    stop();
    await release(sr, name, cookie);
  }
}

// Several locks, taken one inside the other in one order (sorted) by every caller, so that two
// callers wanting the same pair never each hold what the other waits for.
export function withLocks<T>(sr: AtPlace, names: readonly string[], work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const [first, ...rest] = [...new Set(names)].sort();
  if (first === undefined) return work();
  return withLock(sr, first, rest.length === 0 ? work : () => withLocks(sr, rest, work, opts), opts);
}

// The librados client that took the lock is gone (its session died or hung and was replaced):
// Ceph still lists the lock under that client, with our cookie, until its lease ends. Ours, then:
// broken and taken again, same cookie, by the current client. Found under no other name, it was
// lost (expired, or broken by another host).
async function rehome(sr: AtPlace, hold: Hold, lease: number): Promise<void> {
  try {
    const mine = (await lockHolders(sr.place, sr.log, hold.obj, hold.name)).find((l) => l.cookie === hold.cookie);
    if (mine === undefined) return hold.lose("its session was replaced, and the lock is no longer held under its cookie");
    await lockBreak(sr.place, sr.log, hold.obj, hold.name, mine.name, hold.cookie);
    const sent = monotonicMs();
    await lockGet(sr.place, sr.log, hold.obj, hold.name, hold.cookie, lease);
    hold.renewed(sent);
    sr.log.warning(`lock ${hold.name} taken again by this process's new librados session (the one that held it is gone)`);
  } catch (e) {
    hold.lose(`its session was replaced, and taking it again failed: ${(e as Error).message}`);
  }
}

// Renews the lease every third of it while the work runs. A renewal refused (the lock expired,
// was broken, or is another's) loses the hold; one that fails otherwise (a slow cluster) is tried
// again, and the lease's own end, measured here, loses it should none succeed in time.
function keepRenewed(sr: AtPlace, hold: Hold, lease: number): () => void {
  let pending = false;
  const timer = setInterval(
    () => {
      if (pending || hold.lost() !== undefined) return;
      pending = true;
      const sent = monotonicMs();
      hold
        .rehome()
        .then(() => lockGet(sr.place, sr.log, META_OBJECT, hold.name, hold.cookie, lease, true))
        .then(
          () => hold.renewed(sent),
          (e: Error) => {
            if (e instanceof CephError && (e.kind === "busy" || e.kind === "not_found" || e.kind === "exists"))
              hold.lose(`its renewal was refused: ${e.stderr}`);
            else sr.log.warning(`could not renew lock ${hold.name}: ${e.message}; trying again`);
          },
        )
        .finally(() => (pending = false));
    },
    (lease * 1000) / 3,
  );
  return () => clearInterval(timer);
}

// Our session releases its own lock by cookie. Should the session have been replaced meanwhile
// (an operation timed out), the lock is found by its cookie and broken; failing that, it only
// delays others until its lease ends. A cluster that did not answer the release would not
// answer the CLIs either: the lease alone ends that lock, and the verb its wait.
async function release(sr: AtPlace, name: string, cookie: string): Promise<void> {
  try {
    await lockRelease(sr.place, sr.log, META_OBJECT, name, cookie);
  } catch (e) {
    if (e instanceof CephError && (e.kind === "timeout" || e.kind === "unreachable")) {
      sr.log.warning(`could not release lock ${name}: ${e.message}; it expires with its lease`);
      return;
    }
    try {
      const holder = (await lockHolders(sr.place, sr.log, META_OBJECT, name)).find((l) => l.cookie === cookie);
      if (holder) await lockBreak(sr.place, sr.log, META_OBJECT, name, holder.name, cookie);
    } catch (e) {
      sr.log.warning(`could not release lock ${name}: ${(e as Error).message}; it expires with its lease`);
    }
  }
}
