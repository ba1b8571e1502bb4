// What the GC's integration tests share: runs of `ceph-rbd-admin gc run`, a loop to collect until the SR
// holds only its volumes, and a disk with a snapshot whose data the GC must keep.
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, inject } from "vitest";
import { inspectSr, trashOf } from "./inspect.js";
import { checksum, writePattern } from "./rbd-data.js";
import { call, runAdmin } from "./run-verb.js";
import type { TestSr, WireVolume } from "./sr.js";

export const MiB = 1024 * 1024;
export const ceph = (...args: string[]) => execFileSync("ceph", ["--conf", inject("ceph").conf, ...args], { encoding: "utf8" });
export const rbd = (...args: string[]) => execFileSync("rbd", ["--conf", inject("ceph").conf, ...args], { encoding: "utf8" });
export const imageOf = (v: WireVolume) => /\/([^/?]+)\?/.exec(v.uri[0] ?? "")?.[1] ?? "";

export const gcRun = async (s: TestSr, env: Record<string, string> = {}) => {
  const r = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], env);
  expect(r.code, r.stderr).toBe(0);
  return r.json as { done: string[]; failed: string[]; waiting: unknown[] };
};

// Runs passes until the SR holds nothing but its volumes (or gives up).
export async function collect(s: TestSr, env: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await gcRun(s, env);
    const v = inspectSr(s.pool, s.namespace);
    const trash = trashOf(s.pool, s.namespace);
    if (v.tombs.size === 0 && trash.length === 0 && v.images.length === v.records.size - [...v.records.values()].filter((r) => r.snap).length) return;
    await sleep(1500);
  }
  throw new Error(`the GC did not converge: ${JSON.stringify(inspectSr(s.pool, s.namespace), (_k, x) => (x instanceof Map || x instanceof Set ? [...x] : x))}`);
}

export const hasParent = (s: TestSr, v: WireVolume) => "parent" in JSON.parse(rbd("info", "--format", "json", `${s.pool}/${s.namespace}/${imageOf(v)}`));

export async function diskWithSnapshot(s: TestSr, before: number, after: number, mib = 16) {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "d", description: "", size: mib * MiB, sharable: false });
  writePattern(v.uri[0] ?? "", before, 0, mib * MiB);
  const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
  const sum = await checksum(snap.uri[0] ?? "");
  writePattern(v.uri[0] ?? "", after, 0, mib * MiB);
  return { v, snap, sum };
}
