// What the fault tests (faults.test.ts) share: verbs run back to back and timed while a daemon stops
// and starts, cases queued per cluster, SR.stat's health polled within a bound, and the count of
// faults injected and recovered.
import { setTimeout as sleep } from "node:timers/promises";
import type { ExpectStatic } from "vitest";
import type { Cluster } from "./clusters.js";
import { inspectSr, problemsOf } from "./inspect.js";
import { checksum, writePattern } from "./rbd-data.js";
import { call, type VerbRun } from "./run-verb.js";
import type { TestSr, WireVolume } from "./sr.js";

const MiB = 2 ** 20;

// Back to Healthy once the daemon is: peering, the mgr's next report.
export const HEALTHY_BOUND_MS = 90_000;
export const figures = { injected: 0, recovered: 0, verbsDuringFaults: 0, maxFailMs: 0, maxHealthyMs: 0 };

export interface Attempt {
  start: number;
  end: number;
  r: VerbRun;
  label: string;
}

// Runs verbs back to back until stop() says so; each one timed.
export function burst(next: (i: number) => { label: string; run: () => Promise<VerbRun> }) {
  const attempts: Attempt[] = [];
  let stopAt = Number.POSITIVE_INFINITY;
  const done = (async () => {
    for (let i = 0; attempts.length < stopAt; i++) {
      const { label, run } = next(i);
      const start = Date.now();
      const r = await run();
      attempts.push({ start, end: Date.now(), r, label });
    }
  })();
  return {
    attempts,
    // Let `more` further verbs run, then stop.
    stop: async (more: number) => {
      stopAt = attempts.length + 1 + more;
      await done;
      return attempts;
    },
  };
}

// Cases on one cluster run one at a time; the two clusters' cases run side by side (the one-OSD
// cases mostly wait for timeouts).
export function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}
// RELIABILITY_TRACE=1: where the time goes.
export const T0 = Date.now();
export const trace = (what: string) => {
  if (process.env.RELIABILITY_TRACE === "1") console.error(`[faults +${((Date.now() - T0) / 1000).toFixed(1)}s] ${what}`);
};

export const overlaps = (a: Attempt, from: number, to: number) => a.start <= to && a.end >= from;
export const describeAttempt = (a: Attempt) => `${a.label} [${a.start}..${a.end}] exit ${a.r.code}: ${a.r.stdout.slice(0, 300) || a.r.stderr.slice(-800)}`;

export async function stat(s: TestSr, env: Record<string, string> = {}): Promise<{ health: [string, string]; ms: number }> {
  const started = Date.now();
  const st = await call<{ health: [string, string] }>("SR.stat", { sr: s.sr }, env);
  return { health: st.health, ms: Date.now() - started };
}

// Polls SR.stat until its health is one of `want`; returns the health and when it was seen.
export async function healthWithin(s: TestSr, want: string[], boundMs: number, env: Record<string, string> = {}) {
  const started = Date.now();
  let last: [string, string] = ["", ""];
  while (Date.now() - started < boundMs) {
    last = (await stat(s, env)).health;
    if (want.includes(last[0])) return { health: last, ms: Date.now() - started };
    await sleep(500);
  }
  throw new Error(`SR.stat health did not become ${want.join("/")} within ${boundMs} ms; last ${JSON.stringify(last)}`);
}

export async function volumeWithData(c: Cluster, s: TestSr, byte: number, mib: number, env: Record<string, string> = {}) {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "faults", description: "", size: mib * MiB, sharable: false }, env);
  writePattern(v.uri[0] ?? "", byte, 0, mib * MiB, c.conf);
  return { v, sum: await checksum(v.uri[0] ?? "", c.conf) };
}
// The fault counts as recovered once the SR is Healthy again and, after what a healthy
// cluster allows (`then`), nothing is left half-done.
export async function recovered(expect: ExpectStatic, c: Cluster, s: TestSr, then?: () => Promise<void>, env: Record<string, string> = {}) {
  const h = await healthWithin(s, ["Healthy"], HEALTHY_BOUND_MS, env);
  figures.maxHealthyMs = Math.max(figures.maxHealthyMs, h.ms);
  trace(`Healthy again after ${h.ms} ms`);
  await then?.();
  expect(problemsOf(inspectSr(s.pool, s.namespace, c.conf))).toEqual([]);
  figures.recovered++;
}
