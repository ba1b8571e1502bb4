// The checks after the mixed load (mixed-load.ts): every SR.ls of the run against what the model
// knows for sure, the final state against the model, and the SR's convergence through the GC.
// Each finding is an anomaly.
import { inspectSr, problemsOf, trashSnapsOf } from "./inspect.js";
import { trace, type MixedLoad, type ModelVolume } from "./mixed-load.js";
import { call, runAdmin } from "./run-verb.js";
import type { TestSr, WireVolume } from "./sr.js";

// No listing misses a volume alive throughout it, or lists one destroyed before it or never
// returned; no key and no writable image is handed out twice.
export function checkListings(load: MixedLoad): void {
  const { returnedKeys, headImages, listings, anomalies, model } = load;
  // --- every SR.ls of the run, against what the model knows for sure
  const returned = new Set(returnedKeys);
  for (const l of listings) {
    const listed = new Set(l.keys);
    for (const k of l.keys) if (!returned.has(k)) anomalies.push(`SR.ls at ${l.start} listed ${k}, which no verb returned`);
    for (const v of model.values()) {
      const surely = v.madeAt < l.start && (v.destroyFrom === undefined || v.destroyFrom > l.end);
      if (surely && !listed.has(v.key)) anomalies.push(`SR.ls at ${l.start} missed ${v.key}, alive throughout`);
      if (v.destroyedAt !== undefined && v.destroyedAt < l.start && listed.has(v.key))
        anomalies.push(`SR.ls at ${l.start} listed ${v.key}, destroyed at ${v.destroyedAt}`);
    }
    if (listed.size !== l.keys.length) anomalies.push(`SR.ls at ${l.start} listed a key twice`);
  }

  // --- no key, no writable image handed out twice
  if (returned.size !== returnedKeys.length) anomalies.push(`${returnedKeys.length - returned.size} keys handed out twice`);
  if (new Set(headImages).size !== headImages.length) anomalies.push("an image was handed out to two new volumes");
}

// Where the checks run their verbs and admin commands: this machine's namespaces by default, a
// test host of a pool otherwise.
export interface Runner {
  call: (verb: string, params: Record<string, unknown>, env?: Record<string, string>) => Promise<unknown>;
  admin: typeof runAdmin;
}
const HERE: Runner = { call, admin: runAdmin };

// The final SR.ls equals the model's surviving set, keys and all; returns the survivors.
export async function checkFinal(s: TestSr, load: MixedLoad, on: Runner = HERE): Promise<ModelVolume[]> {
  const { anomalies, model, alive } = load;
  // --- the final state equals the model's
  const final = (await on.call("SR.ls", { sr: s.sr })) as WireVolume[];
  const survivors = alive();
  const finalKeys = new Set(final.map((v) => v.key));
  for (const v of survivors) if (!finalKeys.has(v.key)) anomalies.push(`final SR.ls misses ${v.key}`);
  for (const k of finalKeys) if (!survivors.some((v) => v.key === k)) anomalies.push(`final SR.ls has ${k}, which the model says is destroyed or never made`);
  for (const v of final) {
    const m = model.get(v.key);
    if (!m) continue;
    if (v.read_write !== (m.kind === "head")) anomalies.push(`${v.key}: read_write ${v.read_write} for a ${m.kind}`);
    const want = Object.fromEntries(m.keys);
    for (const [k, val] of Object.entries(want))
      if (v.keys[k] !== val) anomalies.push(`lost update: ${v.key} ${k}=${val}, SR.ls has ${JSON.stringify(v.keys[k])}`);
    for (const k of Object.keys(v.keys)) if (!(k in want)) anomalies.push(`${v.key} has key ${k} that no successful set left (an unset lost?)`);
  }
  const view = inspectSr(s.pool, s.namespace, s.conf);
  const writable = [...view.records.values()].filter((r) => r.snap === undefined).map((r) => r.image);
  if (new Set(writable).size !== writable.length) anomalies.push("two writable volumes share an image");
  return survivors;
}

const CEPH_CLIENT_ABORT = /librados session ended: terminate called after throwing an instance of 'std::system_error'/;

// The SR converges; returns the problems left to the GC before its passes (the design's strays).
export async function convergeWithGc(s: TestSr, anomalies: string[], on: Runner = HERE): Promise<string[]> {
  // --- convergence: what failed verbs left is finished by the next SR.stat past the lease;
  // what racing verbs leave to the GC by design (strays) goes in its passes.
  await new Promise((r) => setTimeout(r, 1500));
  await on.call("SR.stat", { sr: s.sr }, { CEPH_RBD_LOCK_LEASE: "1" });
  const beforeGc = problemsOf(inspectSr(s.pool, s.namespace, s.conf));
  let pending: unknown[] = [];
  // Passes until nothing is pending and the mgr holds no task of the SR (bounded: a task that
  // keeps failing is an anomaly, not a reason to wait for ever).
  const gcFrom = Date.now();
  let tasks: unknown[] = [];
  let waiting: unknown[] = [];
  for (let pass = 0; pass < 8; pass++) {
    const r = await on.admin(["gc", "run", "--no-wait", "--sr", s.sr, "--json"], { CEPH_RBD_LOG_STDERR: "info" });
    const report = r.json as { done: string[]; failed: string[] } | undefined;
    trace(`gc pass ${pass}: exit ${r.code}, ${report?.done.length} done, failed ${JSON.stringify(report?.failed)}`);
    // Pacific's librbd client sometimes aborts while it opens an image the mgr is purging (seen in
    // CI: "terminate called after throwing an instance of 'std::system_error'"): the session
    // helper died, not the GC. Such a pass is said, not counted; the passes after it must still
    // converge, and any other failure is an anomaly.
    if (r.code !== 0 && CEPH_CLIENT_ABORT.test(r.stderr))
      console.warn(`gc pass ${pass}: the Ceph client aborted under it; the next pass goes on\n${r.stderr.slice(-600)}`);
    else if (r.code !== 0) anomalies.push(`gc run failed: ${r.stdout.slice(0, 600)} ${r.stderr.slice(-600)}`);
    await new Promise((r) => setTimeout(r, 2000));
    const st = await on.admin(["gc", "status", "--sr", s.sr, "--json"], { CEPH_RBD_LOG_STDERR: "info" });
    const status = st.json as { pending: unknown[]; waiting: unknown[]; tasks: unknown[] } | undefined;
    if (!status) {
      anomalies.push(`gc status failed: exit ${st.code}, ${st.stderr.slice(-600)}`);
      continue;
    }
    ({ pending, tasks, waiting } = status);
    if (pending.length === 0 && tasks.length === 0 && problemsOf(inspectSr(s.pool, s.namespace, s.conf)).length === 0) break;
  }
  if (tasks.length > 0) anomalies.push(`mgr tasks that do not finish: ${JSON.stringify(tasks).slice(0, 600)}`);
  trace(`gc: ${Date.now() - gcFrom} ms`);
  const afterGc = problemsOf(inspectSr(s.pool, s.namespace, s.conf));
  for (const p of afterGc) anomalies.push(`after the GC: ${p}`);
  if (pending.length > 0) {
    // What a stuck purge still has: the trash namespace's snapshots are in no listing the GC reads.
    const snaps = (pending as Array<{ kind: string; id?: string }>)
      .filter((a) => a.kind === "trash-purge")
      .map((a) => `${a.id}: ${trashSnapsOf(s.pool, s.namespace, a.id ?? "", s.conf)}`);
    anomalies.push(
      `the GC cannot finish: ${JSON.stringify(pending).slice(0, 600)}; waiting ${JSON.stringify(waiting).slice(0, 600)}; snapshots ${snaps.join("; ")}`,
    );
  }
  const fsck = await on.admin(["fsck", "--sr", s.sr, "--json"]);
  if (!(fsck.json as { clean?: boolean })?.clean) anomalies.push(`fsck: ${fsck.stdout.slice(0, 600)}`);
  return beforeGc;
}
