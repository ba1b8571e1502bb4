// Mixed load: hundreds of verbs (create, snapshot, clone, set, unset, destroy, revert, SR.ls) from
// two simulated hosts, several processes each, on one SR. A seeded PRNG picks each operation
// and its target among the volumes that exist according to a client-side model (racing a
// destroy on purpose now and then). Only the expected refusals are tolerated (and counted):
// Volume_does_not_exist when a destroy of the target was under way or done, Busy when a lock
// wait ran out, the clone depth limit. Checked afterwards:
//  - no lost metadata update: every Volume.set that succeeded is visible, every Volume.unset
//    that succeeded is gone, unless the volume was destroyed;
//  - no key handed out twice, no image shared by two writable volumes;
//  - every SR.ls of the run parsed, listed every volume that certainly existed throughout the
//    call, none that was certainly destroyed before it, and none that no verb ever returned;
//  - the final SR.ls equals the model's surviving set; the SR converges (problemsOf empty once
//    the GC has swept what racing verbs leave to it: the design's "strays").
//
// MIXED_OPS=<n> (default 200, 600 with RELIABILITY_FULL=1), MIXED_SEED=<n>. The seed fixes
// the choices given the model's state, not the interleaving, which the machine decides.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../helpers/hostile/rng.js";
import { inspectSr, problemsOf, trashSnapsOf } from "../helpers/inspect.js";
import { call, runAdmin, runVerb, type VerbRun, type WireError } from "../helpers/run-verb.js";
import { imageOf } from "../helpers/rbd-data.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";

const FULL = process.env.RELIABILITY_FULL === "1";
const OPS = Number(process.env.MIXED_OPS ?? (FULL ? 600 : 200));
const SEED = Number(process.env.MIXED_SEED ?? 0x6d1e7) >>> 0;
const WIDTH = 6;
const MiB = 2 ** 20;
const HOSTS = ["aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa", "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb"];

interface ModelVolume {
  key: string;
  kind: "head" | "snap";
  family: string;
  // When the verb that made it returned.
  madeAt: number;
  // Launch of the first destroy of it; return of the first successful one.
  destroyFrom?: number;
  destroyedAt?: number;
  // xapi keys by the model: set and not unset since, by successful verbs only.
  keys: Map<string, string>;
  // Keys with a set or unset under way (never picked twice at once).
  keyBusy: Set<string>;
}

interface Listing {
  start: number;
  end: number;
  keys: string[];
}

// RELIABILITY_TRACE=1: where the time goes.
const trace = (what: string) => {
  if (process.env.RELIABILITY_TRACE === "1") console.error(`[mixed-load] ${what}`);
};

type Outcome = "ok" | "novol" | "busy" | "depth" | "anomaly";

describe("mixed load from two hosts", () => {
  let s: TestSr;
  let run: string;
  beforeAll(async () => {
    s = await makeSr();
    run = mkdtempSync(join(tmpdir(), "mixed-run-"));
  });
  afterAll(() => rmSync(run, { recursive: true, force: true }));

  // A verb takes seconds on a loaded machine, and the GC's passes afterwards minutes.
  it(`${OPS} mixed verbs, ${WIDTH} at a time`, { timeout: 600_000 + OPS * 2500 }, async () => {
    const rng = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
    const model = new Map<string, ModelVolume>();
    const returnedKeys: string[] = [];
    const headImages: string[] = [];
    const listings: Listing[] = [];
    const anomalies: string[] = [];
    const counts: Record<Outcome, number> = { ok: 0, novol: 0, busy: 0, depth: 0, anomaly: 0 };
    const perVerb = new Map<string, number>();
    let keySeq = 0;
    const durations = new Map<string, number[]>();

    const host = (worker: number) => {
      const id = HOSTS[worker % 2] ?? "";
      return { CEPH_RBD_HOST_UUID: id, CEPH_RBD_RUN_DIR: join(run, id) };
    };
    const alive = () => [...model.values()].filter((v) => v.destroyedAt === undefined);
    const add = (w: WireVolume, kind: ModelVolume["kind"], family: string) => {
      returnedKeys.push(w.key);
      if (kind === "head") headImages.push(imageOf(w.uri[0] ?? ""));
      model.set(w.key, { key: w.key, kind, family, madeAt: Date.now(), keys: new Map(), keyBusy: new Set() });
    };
    // A refusal is expected when a destroy of one of the targets started before the verb ended.
    const classify = (r: VerbRun, targets: ModelVolume[], started: number, what: string): Outcome => {
      if (r.code === 0) return "ok";
      const e = r.json as WireError | undefined;
      const kind = e?.params?.[0] ?? e?.code ?? "";
      if (kind === "Volume_does_not_exist" && targets.some((t) => t.destroyFrom !== undefined && t.destroyFrom <= Date.now())) return "novol";
      if (kind === "Busy") return "busy";
      if (e?.code === "SR_BACKEND_FAILURE_109") return "depth";
      anomalies.push(`${what} (started ${started}): exit ${r.code}: ${r.stdout.slice(0, 600)}`);
      return "anomaly";
    };

    async function createOne(env: Record<string, string>): Promise<Outcome> {
      const name = `m${keySeq++}`;
      const r = await runVerb("Volume.create", { dbg: `mixed-${name}`, sr: s.sr, name, description: "", size: 4 * MiB, sharable: false }, env);
      const o = classify(r, [], Date.now(), `Volume.create ${name}`);
      if (o === "ok") {
        const w = r.json as WireVolume;
        add(w, "head", w.key);
      }
      return o;
    }

    async function oneOp(worker: number): Promise<void> {
      const env = host(worker);
      const live = alive();
      const heads = live.filter((v) => v.kind === "head");
      const snaps = live.filter((v) => v.kind === "snap");
      const gone = [...model.values()].filter((v) => v.destroyedAt !== undefined);
      const x = rng();
      let verb =
        live.length < 4
          ? "Volume.create"
          : x < 0.1
            ? "Volume.create"
            : x < 0.2
              ? "Volume.snapshot"
              : x < 0.28
                ? "Volume.clone"
                : x < 0.5
                  ? "Volume.set"
                  : x < 0.58
                    ? "Volume.unset"
                    : x < 0.76
                      ? "Volume.destroy"
                      : x < 0.84
                        ? "Volume.revert"
                        : x < 0.96
                          ? "SR.ls"
                          : "stale";
      const withKeys = live.filter((v) => [...v.keys.keys()].some((k) => !v.keyBusy.has(k)));
      const revertable = heads.filter((h) => snaps.some((sn) => sn.family === h.family));
      if (
        (verb === "Volume.snapshot" && heads.length === 0) ||
        (verb === "Volume.unset" && withKeys.length === 0) ||
        (verb === "Volume.revert" && revertable.length === 0) ||
        (verb === "stale" && gone.length === 0)
      ) {
        verb = "Volume.create";
      }
      perVerb.set(verb, (perVerb.get(verb) ?? 0) + 1);
      const started = Date.now();
      const base = { sr: s.sr };
      let outcome: Outcome;
      switch (verb) {
        case "Volume.create":
          outcome = await createOne(env);
          break;
        case "Volume.snapshot":
        case "Volume.clone": {
          const src = verb === "Volume.snapshot" ? pick(heads) : pick(live);
          const r = await runVerb(verb, { dbg: "mixed", ...base, key: src.key }, env);
          outcome = classify(r, [src], started, `${verb} ${src.key}`);
          if (outcome === "ok") add(r.json as WireVolume, verb === "Volume.snapshot" ? "snap" : "head", src.family);
          break;
        }
        case "Volume.set": {
          const v = pick(live);
          const k = `k${keySeq++}`;
          const value = `v-${k}-${Math.floor(rng() * 1e9)}`;
          v.keyBusy.add(k);
          const r = await runVerb(verb, { dbg: "mixed", ...base, key: v.key, k, v: value }, env);
          v.keyBusy.delete(k);
          outcome = classify(r, [v], started, `Volume.set ${v.key} ${k}`);
          if (outcome === "ok") v.keys.set(k, value);
          break;
        }
        case "Volume.unset": {
          const v = pick(withKeys);
          const k = pick([...v.keys.keys()].filter((key) => !v.keyBusy.has(key)));
          v.keyBusy.add(k);
          const r = await runVerb(verb, { dbg: "mixed", ...base, key: v.key, k }, env);
          v.keyBusy.delete(k);
          outcome = classify(r, [v], started, `Volume.unset ${v.key} ${k}`);
          if (outcome === "ok") v.keys.delete(k);
          break;
        }
        case "Volume.destroy": {
          const v = pick(live);
          v.destroyFrom ??= started;
          const r = await runVerb(verb, { dbg: "mixed", ...base, key: v.key }, env);
          outcome = classify(r, [], started, `Volume.destroy ${v.key}`);
          if (outcome === "ok") v.destroyedAt ??= Date.now();
          break;
        }
        case "Volume.revert": {
          const h = pick(revertable);
          const sn = pick(snaps.filter((x) => x.family === h.family));
          const r = await runVerb(verb, { dbg: "mixed", ...base, key: h.key, snapshot: sn.key }, env);
          outcome = classify(r, [h, sn], started, `Volume.revert ${h.key} to ${sn.key}`);
          break;
        }
        case "stale": {
          // A key destroyed already: refused, except destroy, which is idempotent.
          const v = pick(gone);
          const sub = pick(["Volume.set", "Volume.snapshot", "Volume.clone", "Volume.stat", "Volume.destroy"]);
          const r = await runVerb(sub, { dbg: "mixed", ...base, key: v.key, ...(sub === "Volume.set" ? { k: "stale", v: "x" } : {}) }, env);
          if (sub !== "Volume.destroy" && r.code === 0) {
            anomalies.push(`${sub} of destroyed ${v.key} succeeded: ${r.stdout.slice(0, 300)}`);
            outcome = "anomaly";
          } else outcome = classify(r, sub === "Volume.destroy" ? [] : [v], started, `${sub} of destroyed ${v.key}`);
          break;
        }
        default: {
          const r = await runVerb("SR.ls", { dbg: "mixed", ...base }, env);
          const end = Date.now();
          const parsed = r.json;
          const ok =
            r.code === 0 &&
            Array.isArray(parsed) &&
            parsed.every(
              (v: Partial<WireVolume>) => typeof v?.key === "string" && Array.isArray(v.uri) && typeof v.keys === "object" && typeof v.read_write === "boolean",
            );
          if (!ok) {
            anomalies.push(`SR.ls did not give a list of volumes: exit ${r.code}: ${r.stdout.slice(0, 300)}`);
            outcome = "anomaly";
          } else {
            listings.push({ start: started, end, keys: (parsed as WireVolume[]).map((v) => v.key) });
            outcome = "ok";
          }
        }
      }
      counts[outcome]++;
      durations.set(verb, [...(durations.get(verb) ?? []), Date.now() - started]);
    }

    // A few volumes to start with, then the pool of WIDTH workers.
    for (let i = 0; i < 4; i++) await createOne(host(i));
    let launched = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: WIDTH }, async (_, worker) => {
        while (launched < OPS) {
          launched++;
          await oneOp(worker);
        }
      }),
    );
    const ms = Date.now() - t0;
    trace(
      `${OPS} ops in ${ms} ms; per verb (median ms): ${[...durations].map(([v, d]) => `${v} ${d.sort((a, b) => a - b)[Math.floor(d.length / 2)]}`).join(", ")}`,
    );

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

    trace(`checks of the listings done at +${Date.now() - t0} ms`);
    // --- the final state equals the model's
    const final = await call<WireVolume[]>("SR.ls", { sr: s.sr });
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
    const view = inspectSr(s.pool, s.namespace);
    const writable = [...view.records.values()].filter((r) => r.snap === undefined).map((r) => r.image);
    if (new Set(writable).size !== writable.length) anomalies.push("two writable volumes share an image");

    trace(`final state checked at +${Date.now() - t0} ms`);
    // --- convergence: what failed verbs left is finished by the next SR.stat past the lease;
    // what racing verbs leave to the GC by design (strays) goes in its passes.
    await new Promise((r) => setTimeout(r, 1500));
    await call("SR.stat", { sr: s.sr }, { CEPH_RBD_LOCK_LEASE: "1" });
    const beforeGc = problemsOf(inspectSr(s.pool, s.namespace));
    let pending: unknown[] = [];
    // Passes until nothing is pending and the mgr holds no task of the SR (bounded: a task that
    // keeps failing is an anomaly, not a reason to wait for ever).
    const gcFrom = Date.now();
    let tasks: unknown[] = [];
    let waiting: unknown[] = [];
    for (let pass = 0; pass < 8; pass++) {
      const r = await runAdmin(["gc", "run", "--no-wait", "--sr", s.sr, "--json"], { CEPH_RBD_LOG_STDERR: "info" });
      const report = r.json as { done: string[]; failed: string[] } | undefined;
      trace(`gc pass ${pass}: exit ${r.code}, ${report?.done.length} done, failed ${JSON.stringify(report?.failed)}`);
      if (r.code !== 0) anomalies.push(`gc run failed: ${r.stdout.slice(0, 600)} ${r.stderr.slice(-600)}`);
      await new Promise((r) => setTimeout(r, 2000));
      const st = await runAdmin(["gc", "status", "--sr", s.sr, "--json"], { CEPH_RBD_LOG_STDERR: "info" });
      const status = st.json as { pending: unknown[]; waiting: unknown[]; tasks: unknown[] } | undefined;
      if (!status) {
        anomalies.push(`gc status failed: exit ${st.code}, ${st.stderr.slice(-600)}`);
        continue;
      }
      ({ pending, tasks, waiting } = status);
      if (pending.length === 0 && tasks.length === 0 && problemsOf(inspectSr(s.pool, s.namespace)).length === 0) break;
    }
    if (tasks.length > 0) anomalies.push(`mgr tasks that do not finish: ${JSON.stringify(tasks).slice(0, 600)}`);
    trace(`gc: ${Date.now() - gcFrom} ms`);
    const afterGc = problemsOf(inspectSr(s.pool, s.namespace));
    for (const p of afterGc) anomalies.push(`after the GC: ${p}`);
    if (pending.length > 0) {
      // What a stuck purge still has: the trash namespace's snapshots are in no listing the GC reads.
      const snaps = (pending as Array<{ kind: string; id?: string }>)
        .filter((a) => a.kind === "trash-purge")
        .map((a) => `${a.id}: ${trashSnapsOf(s.pool, s.namespace, a.id ?? "")}`);
      anomalies.push(
        `the GC cannot finish: ${JSON.stringify(pending).slice(0, 600)}; waiting ${JSON.stringify(waiting).slice(0, 600)}; snapshots ${snaps.join("; ")}`,
      );
    }
    const fsck = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    if (!(fsck.json as { clean?: boolean })?.clean) anomalies.push(`fsck: ${fsck.stdout.slice(0, 600)}`);

    const ops = OPS + 4;
    console.log(`mixed load: ${ops} ops, ${anomalies.length} anomalies${anomalies.map((a) => `\n  - ${a}`).join("")}`);
    console.log(
      `mixed load: ${[...perVerb].map(([v, n]) => `${v} ${n}`).join(", ")}; refusals: ${counts.novol} Volume_does_not_exist, ${counts.busy} Busy, ${counts.depth} depth; ${listings.length} SR.ls checked; ${beforeGc.length} strays left to the GC (${beforeGc.slice(0, 5).join("; ")}); ${Math.round(ms / 1000)} s`,
    );
    summary("mixed-load", {
      ops,
      anomalies: anomalies.length,
      novol: counts.novol,
      busy: counts.busy,
      depth: counts.depth,
      listings: listings.length,
      strays_before_gc: beforeGc.length,
      survivors: survivors.length,
      seed: SEED,
      seconds: Math.round(ms / 1000),
    });
    expect(anomalies).toEqual([]);
  });
});
