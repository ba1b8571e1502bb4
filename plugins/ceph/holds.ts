// The advisory locks held by the work under way (locks.ts), kept in its async context: every
// omap write made under them carries the condition that each is still held (rados.ts), and a lock
// found lost stops every write of that work before it starts.
import { AsyncLocalStorage } from "node:async_hooks";
import { Lock_lost } from "../wire/errors.js";
import type { ClusterRef, Place } from "./cluster.js";

// One librados client per cluster reference (session.ts): a lock belongs to the client that took
// it, so only that client's writes can assert it.
export const clientKey = (c: ClusterRef): string => JSON.stringify([c.conf, c.user, c.keyring ?? "", c.monHost ?? ""]);

// A monotonic clock, which keeps running while the process is stopped (a host frozen past its
// lease) and never jumps with the wall clock. hrtime, not performance.now(): node:perf_hooks costs
// a verb its load (16 modules).
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class Hold {
  private lostWhy: string | undefined;

  constructor(
    readonly place: Place,
    readonly obj: string,
    readonly name: string,
    readonly cookie: string,
    private readonly leaseMs: number,
    // When the request that last started the lease was sent: the OSD starts it later, so the
    // lease ends no sooner than this plus leaseMs.
    private since: number,
    // Takes the lock again for this process's current librados client, when the one that took
    // it is gone (locks.ts); before every renewal and every write that asserts it.
    readonly rehome: () => Promise<void>,
  ) {}

  renewed(sentAt: number): void {
    this.since = sentAt;
  }

  lose(why: string): void {
    this.lostWhy ??= why;
  }

  // Why nothing may be written under it any more, or undefined while it holds. Lost is final:
  // a late renewal does not undo what another process may have done meanwhile.
  lost(): string | undefined {
    if (this.lostWhy === undefined && monotonicMs() - this.since >= this.leaseMs) this.lose(`its ${this.leaseMs / 1000} s lease ran out before it was renewed`);
    return this.lostWhy;
  }

  error(): Lock_lost {
    return new Lock_lost(`lock ${this.name} was lost (${this.lostWhy ?? "unknown"}); stopping before any further write`);
  }
}

const held = new AsyncLocalStorage<readonly Hold[]>();

export const under = <T>(hold: Hold, work: () => Promise<T>): Promise<T> => held.run([...(held.getStore() ?? []), hold], work);

// Throws Lock_lost if any lock of the work under way is lost; else its holds.
export function assertHeld(): readonly Hold[] {
  const holds = held.getStore() ?? [];
  const lost = holds.find((h) => h.lost() !== undefined);
  if (lost) throw lost.error();
  return holds;
}

// The holds a write to `obj` asserts: those on that very object, taken by the same client
// reference, each held by the current librados client.
export async function guardsFor(p: Place, obj: string): Promise<Hold[]> {
  const client = clientKey(p.cluster);
  const holds = assertHeld().filter(
    (h) => h.obj === obj && h.place.pool === p.pool && h.place.namespace === p.namespace && clientKey(h.place.cluster) === client,
  );
  for (const h of holds) await h.rehome();
  assertHeld();
  return holds;
}
