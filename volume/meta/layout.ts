// The SR's truth: the omap of one RADOS object inside the SR's namespace. One entry per fact,
// so that each verb that changes one fact (a name, one xapi key, the image behind a key) is a
// single atomic omap write, and SR.ls is a single omap listing whatever the number of volumes.
//
//   sr:config            JSON SrConfig; written last by SR.create, so its presence means "complete"
//   sr:name, sr:description
//   vol:<key>            JSON VolumeRecord; its presence is what makes a volume exist
//   nam:<key>, dsc:<key> the volume's name and description
//   key:<key>:<k>        one xapi key (spec section 10), value verbatim; <k> percent-encoded so
//                        that any text (newlines included) survives the omap listing
//   use:<key>            bytes the volume's image holds, as last measured (see volume/usage.ts)
//   gone:<key>           a destroyed key (a repeated destroy is known as such: no warning)
//   tomb:<image>         JSON Tombstone: a destroyed head kept for its snapshots, owned by the GC
//   op:<id>              JSON journal entry of a multi-step operation under way (journal/)
//   act:<key>            JSON Activation: the host a datapath activated the volume on
//   gc:status            JSON report of the GC's last pass (gc/worker.ts)
//
// Volume keys are UUIDs (36 characters, no ':'), so `key:<key>:<k>` splits unambiguously.
import * as z from "zod/mini";

export { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { parseActivation, readRecord, type Activation } from "../../plugins/wire/sr-object.js";

export const K = {
  config: "sr:config",
  name: "sr:name",
  description: "sr:description",
  vol: (key: string) => `vol:${key}`,
  nam: (key: string) => `nam:${key}`,
  dsc: (key: string) => `dsc:${key}`,
  xkey: (key: string, k: string) => `key:${key}:${encodeURIComponent(k)}`,
  use: (key: string) => `use:${key}`,
  gone: (key: string) => `gone:${key}`,
  tomb: (image: string) => `tomb:${image}`,
  op: (id: string) => `op:${id}`,
};

export const SrConfig = z.object({
  version: z.literal(1),
  uuid: z.string(),
  features: z.array(z.string()),
  created: z.string(),
});
export type SrConfig = z.infer<typeof SrConfig>;

export const VolumeRecord = z.object({
  uuid: z.string(),
  // The RBD image holding the data; for a snapshot, the head image the snapshot was taken of.
  image: z.string(),
  // Set for read-only snapshots: the RBD snapshot name on `image`.
  snap: z.optional(z.string()),
  sharable: z.boolean(),
  size: z.int().check(z.minimum(0)),
  created: z.string(),
  // The key this volume was snapshotted or cloned from (informational).
  parent: z.optional(z.string()),
  // The disk lineage: the key of the Volume.create that started it, inherited by snapshots and
  // clones. A revert is only allowed within one lineage.
  family: z.optional(z.string()),
});
export type VolumeRecord = z.infer<typeof VolumeRecord>;

export const Tombstone = z.object({ image: z.string(), key: z.string(), since: z.string() });
export type Tombstone = z.infer<typeof Tombstone>;

export interface VolumeState {
  readonly key: string;
  readonly record: VolumeRecord;
  readonly name: string;
  readonly description: string;
  readonly keys: Record<string, string>;
}

export interface SrState {
  readonly config?: SrConfig;
  readonly name: string;
  readonly description: string;
  readonly volumes: ReadonlyMap<string, VolumeState>;
  readonly tombstones: ReadonlyMap<string, Tombstone>;
  readonly ops: ReadonlyMap<string, string>;
  // Destroyed keys, with when.
  readonly gone: ReadonlyMap<string, string>;
  readonly usage: ReadonlyMap<string, number>;
  readonly active: ReadonlyMap<string, Activation>;
  // Entries that belong to no volume (left by a crash or a racing destroy), for the GC to sweep.
  readonly strays: readonly string[];
}

const json = readRecord;

const KEY_LEN = 36;

export function parseSrState(entries: ReadonlyMap<string, string>): SrState {
  const records = new Map<string, VolumeRecord>();
  const tombstones = new Map<string, Tombstone>();
  const ops = new Map<string, string>();
  const gone = new Map<string, string>();
  const usage = new Map<string, number>();
  const active = new Map<string, Activation>();
  const strays: string[] = [];
  for (const [k, v] of entries) {
    if (k.startsWith("vol:")) {
      const rec = json(VolumeRecord, v);
      if (rec) records.set(k.slice(4), rec);
      else strays.push(k);
    } else if (k.startsWith("tomb:")) {
      const t = json(Tombstone, v);
      if (t) tombstones.set(k.slice(5), t);
      else strays.push(k);
    } else if (k.startsWith("op:")) ops.set(k.slice(3), v);
    else if (k.startsWith("gone:")) gone.set(k.slice(5), v);
    else if (k.startsWith("act:")) {
      const a = parseActivation(v);
      if (a) active.set(k.slice(4), a);
    } else if (k.startsWith("use:")) {
      const bytes = Number(v);
      if (Number.isSafeInteger(bytes) && bytes >= 0) usage.set(k.slice(4), bytes);
    }
  }
  const volumes = new Map<string, VolumeState>();
  const keysOf = new Map<string, Record<string, string>>();
  for (const [k, v] of entries) {
    if (!k.startsWith("key:")) continue;
    const key = k.slice(4, 4 + KEY_LEN);
    if (!records.has(key) || k[4 + KEY_LEN] !== ":") {
      strays.push(k);
      continue;
    }
    const keys = keysOf.get(key) ?? {};
    try {
      keys[decodeURIComponent(k.slice(5 + KEY_LEN))] = v;
    } catch {
      strays.push(k);
    }
    keysOf.set(key, keys);
  }
  for (const [key, record] of records) {
    volumes.set(key, {
      key,
      record,
      name: entries.get(K.nam(key)) ?? "",
      description: entries.get(K.dsc(key)) ?? "",
      keys: keysOf.get(key) ?? {},
    });
  }
  for (const k of entries.keys()) {
    if (/^(nam|dsc|use):/.test(k) && !records.has(k.slice(4))) strays.push(k);
  }
  const config = json(SrConfig, entries.get(K.config));
  return {
    ...(config ? { config } : {}),
    name: entries.get(K.name) ?? "",
    description: entries.get(K.description) ?? "",
    volumes,
    tombstones,
    ops,
    gone,
    usage,
    active,
    strays,
  };
}
