// The mixed load of mixed-load.test.ts: a client-side model of the SR's volumes, and workers that
// pick each operation and its target from it with a seeded PRNG (racing a destroy on purpose now
// and then), run it as one of two simulated hosts, and count its outcome. Only the expected
// refusals are tolerated; anything else is an anomaly.
import { join } from "node:path";
import { mulberry32 } from "./hostile/rng.js";
import { imageOf } from "./rbd-data.js";
import { runVerb as runLocal, type VerbRun, type WireError } from "./run-verb.js";
import type { TestSr, WireVolume } from "./sr.js";

const MiB = 2 ** 20;
const HOSTS = ["aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa", "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb"];

export interface ModelVolume {
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

export interface Listing {
  start: number;
  end: number;
  keys: string[];
}

// RELIABILITY_TRACE=1: where the time goes.
export const trace = (what: string) => {
  if (process.env.RELIABILITY_TRACE === "1") console.error(`[mixed-load] ${what}`);
};

export type Outcome = "ok" | "novol" | "busy" | "depth" | "anomaly";

export type MixedLoad = ReturnType<typeof mixedLoad>;

// Who runs worker w's verbs, and how: by default two hosts played in this machine's namespaces
// by identity and run directory (under run); a pool of test hosts passes its own.
export interface Hosts {
  of: (worker: number) => unknown;
  verb: (who: unknown, verb: string, params: unknown) => Promise<VerbRun>;
}

// The model and its workers, on the SR s.
export function mixedLoad(s: TestSr, run: string, seed: number, hosts?: Hosts) {
  const rng = mulberry32(seed);
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

  const host = (worker: number): unknown => {
    if (hosts) return hosts.of(worker);
    const id = HOSTS[worker % 2] ?? "";
    return { CEPH_RBD_HOST_UUID: id, CEPH_RBD_RUN_DIR: join(run, id) };
  };
  const runVerb = (verb: string, params: unknown, who: unknown): Promise<VerbRun> =>
    hosts ? hosts.verb(who, verb, params) : runLocal(verb, params, who as Record<string, string>);
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

  async function createOne(env: unknown): Promise<Outcome> {
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

  return { model, returnedKeys, headImages, listings, anomalies, counts, perVerb, durations, alive, host, createOne, oneOp };
}

// A few volumes to start with (one per host of the first `first` workers), then `ops` operations
// by `width` workers; returns the milliseconds the operations took.
export async function drive(load: MixedLoad, first: number, ops: number, width: number): Promise<number> {
  for (let i = 0; i < first; i++) await load.createOne(load.host(i));
  let launched = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: width }, async (_, worker) => {
      while (launched < ops) {
        launched++;
        await load.oneOp(worker);
      }
    }),
  );
  return Date.now() - t0;
}

// The figures of a finished load for its RELIABILITY line.
export const figures = (load: MixedLoad, strays: number, survivors: number, seed: number, ms: number) => ({
  anomalies: load.anomalies.length,
  novol: load.counts.novol,
  busy: load.counts.busy,
  depth: load.counts.depth,
  listings: load.listings.length,
  strays_before_gc: strays,
  survivors,
  seed,
  seconds: Math.round(ms / 1000),
});
