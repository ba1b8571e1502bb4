// The SR's omap entries read into one state (layout.ts says what each entry means): each volume
// with its record, name, description and xapi keys; the tombstones, journal, activations and usage
// figures; and every entry that belongs to nothing, for the GC to sweep.
import { parseActivation, readRecord, type Activation } from "../../plugins/wire/sr-object.js";
import { indexEntry, K, splitKey, SrConfig, Tombstone, VolumeRecord } from "./layout.js";

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
  // The index entries read that match their snapshot's record (layout 2).
  readonly index: ReadonlySet<string>;
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
  const xkeys: Array<[string, string, string]> = [];
  const indexed: Array<[string, string, string]> = [];
  for (const [k, v] of entries) {
    const e = splitKey(k);
    if (e === undefined) continue;
    const { item } = e;
    switch (e.kind) {
      case "vol": {
        const rec = json(VolumeRecord(), v);
        if (rec) records.set(item, rec);
        else strays.push(k);
        break;
      }
      case "tomb": {
        const t = json(Tombstone(), v);
        if (t) tombstones.set(item, t);
        else strays.push(k);
        break;
      }
      case "op":
        ops.set(item, v);
        break;
      case "gone":
        gone.set(item, v);
        break;
      case "act": {
        const a = parseActivation(v);
        if (a) active.set(item, a);
        break;
      }
      case "use": {
        const bytes = Number(v);
        if (Number.isSafeInteger(bytes) && bytes >= 0) usage.set(item, bytes);
        break;
      }
      case "key":
        xkeys.push([k, item, v]);
        break;
      case "img":
        indexed.push([k, item.slice(0, -KEY_LEN - 1), item.slice(-KEY_LEN)]);
        break;
    }
  }
  // An index entry of no snapshot record is stale (its volume was destroyed while an upgrade
  // indexed it): the GC drops it. One that is missing is fsck's to find.
  const index = new Set<string>();
  for (const [k, image, key] of indexed) {
    const r = records.get(key);
    if (r?.snap !== undefined && r.image === image && k === K.img(image, key)) index.add(k);
    else strays.push(k);
  }
  const volumes = new Map<string, VolumeState>();
  const keysOf = new Map<string, Record<string, string>>();
  for (const [k, item, v] of xkeys) {
    const key = item.slice(0, KEY_LEN);
    if (!records.has(key) || item[KEY_LEN] !== ":") {
      strays.push(k);
      continue;
    }
    const keys = keysOf.get(key) ?? {};
    try {
      keys[decodeURIComponent(item.slice(KEY_LEN + 1))] = v;
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
    const e = splitKey(k);
    if (e !== undefined && (e.kind === "nam" || e.kind === "dsc" || e.kind === "use") && !records.has(e.item)) strays.push(k);
  }
  const config = json(SrConfig(), entries.get(K.config));
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
    index,
    strays,
  };
}

// The index entries a whole-SR state lacks: [volume key, entry].
export const missingIndex = (state: SrState): Array<[string, string]> =>
  [...state.volumes.values()].flatMap((v) => {
    const index = indexEntry(v.key, v.record);
    return index === undefined || state.index.has(index) ? [] : [[v.key, index] as [string, string]];
  });
