// The GC worker of one SR: a long-running process on every host that attached the SR. Passes
// are serialised pool-wide by the SR's "gc" lock (with a lease, so a host that dies mid-pass
// blocks the others for at most the lease): whichever host's worker finds the lock free runs
// the next pass. It records what it did in the SR's omap (layout.ts's K.gcStatus), which any host can read.
import { appendFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Logger } from "../../plugins/log.js";
import { setting } from "../../plugins/settings.js";
import { Busy } from "../../plugins/wire/errors.js";
import { K } from "../meta/layout.js";
import { put, srExists, type Sr } from "../meta/store.js";
import { GC_LOCK } from "../../plugins/wire/sr-object.js";
import { withLock } from "../../plugins/ceph/locks.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import type { ApplyOptions } from "./apply.js";
import { runPass, type PassReport } from "./pass.js";

// Test instrumentation, like CEPH_RBD_CRASH_AT: a file where each pass notes its start and end,
// so a test can prove that passes never overlap. Unset in production.
const trace = (line: string) => {
  const file = setting("gcTrace");
  if (file) appendFileSync(file, `${line}\n`);
};

export const gcTimes = () => {
  const flattenDeadline = setting("gcFlattenDeadline");
  // The lease is renewed while a pass runs (locks.ts), however long its flatten: it bounds only
  // how long a host that dies mid-pass keeps the others waiting.
  const lease = setting("gcLease");
  return { interval: setting("gcInterval"), flattenDeadlineMs: flattenDeadline * 1000, lease };
};

// CEPH_RBD_GC_MGR=off makes the GC do heavy work itself, as where the mgr module is missing.
export const applyOptions = (): ApplyOptions => ({ mgr: setting("gcMgr") === "on", flattenDeadlineMs: gcTimes().flattenDeadlineMs });

export interface StatusRecord {
  host: string;
  pid: number;
  at: string;
  ms: number;
  done: string[];
  failed: string[];
  waiting: Array<{ item: string; why: string }>;
  paused?: string;
  tombstones: number;
  recovered: number;
}

// One pass under the SR's gc lock; undefined when another pass holds it and `wait` is false.
export async function lockedPass(sr: Sr, opts: ApplyOptions, wait: boolean): Promise<PassReport | undefined> {
  try {
    return await withLock(
      sr,
      GC_LOCK,
      async () => {
        const started = Date.now();
        trace(`start ${process.pid} ${started}`);
        const report = await runPass(sr, opts);
        trace(`end ${process.pid} ${Date.now()}`);
        const status: StatusRecord = {
          host: hostname(),
          pid: process.pid,
          at: new Date().toISOString(),
          ms: Date.now() - started,
          done: report.done,
          failed: report.failed,
          waiting: [...report.plan.waiting],
          tombstones: report.plan.tombstones,
          recovered: report.recovered,
          ...(report.paused ? { paused: report.paused } : {}),
        };
        await put(sr, K.gcStatus, JSON.stringify(status));
        return report;
      },
      { wait, lease: gcTimes().lease },
    );
  } catch (e) {
    if (e instanceof Busy && !wait) return undefined;
    throw e;
  }
}

export async function runWorker(sr: Sr, log: Logger): Promise<void> {
  const opts = applyOptions();
  let stopping = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopping = true;
    wake?.();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  log.info(`gc worker for ${sr.place.pool}/${sr.place.namespace} started`);
  while (!stopping) {
    try {
      // The SR was destroyed: nothing left to collect.
      if (!(await srExists(sr))) break;
      await lockedPass(sr, opts, false);
    } catch (e) {
      log.warning(`gc pass failed: ${(e as Error).message}`);
    }
    // Idle until the next pass: without its librados session (a Python process of ~40 MiB).
    closeSessions();
    log.flush();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, gcTimes().interval * 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
      if (stopping) wake();
    });
  }
  log.info(`gc worker for ${sr.place.pool}/${sr.place.namespace} stopped`);
  log.flush();
}
