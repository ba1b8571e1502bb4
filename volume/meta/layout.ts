// The SR's truth: the omap of one RADOS object inside the SR's namespace. One entry per fact,
// so that each verb that changes one fact (a name, one xapi key, the image behind a key) is a
// single atomic omap write, and SR.ls is a single omap listing whatever the number of volumes.
// Every entry of one volume is found from its key alone (by name, or the `key:<key>:` range), so
// a verb on one volume reads only those (volumeReads), whatever the number of volumes.
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
//   img:<image>:<key>    empty: snapshot volume <key> reads an RBD snapshot of <image> (layout 2),
//                        written and removed with its `vol:` record, so that Volume.destroy finds
//                        who shares an image by one range read, whatever the SR's size
//   op:<id>              JSON journal entry of a multi-step operation under way (journal/)
//   act:<key>            JSON Activation: the host a datapath activated the volume on
//   gc:status            JSON report of the GC's last pass (gc/worker.ts)
//
// Volume keys are UUIDs (36 characters, no ':'), so `key:<key>:<k>` splits unambiguously.
import * as z from "zod/mini";
import { once } from "../../plugins/wire/once.js";

export { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { activationKey, ACTIVATION_PREFIX, volumeKey, VOLUME_PREFIX } from "../../plugins/wire/sr-object.js";

// The prefix of each kind of per-item entry.
const PREFIX = {
  vol: VOLUME_PREFIX,
  act: ACTIVATION_PREFIX,
  nam: "nam:",
  dsc: "dsc:",
  key: "key:",
  use: "use:",
  gone: "gone:",
  tomb: "tomb:",
  img: "img:",
  op: "op:",
} as const;
type Kind = keyof typeof PREFIX;

export const K = {
  config: "sr:config",
  name: "sr:name",
  description: "sr:description",
  gcStatus: "gc:status",
  // Where the GC's usage measurement resumes (volume/usage.ts).
  usageCursor: "gc:usage-cursor",
  vol: volumeKey,
  act: activationKey,
  nam: (key: string) => `${PREFIX.nam}${key}`,
  dsc: (key: string) => `${PREFIX.dsc}${key}`,
  xkey: (key: string, k: string) => `${PREFIX.key}${key}:${encodeURIComponent(k)}`,
  use: (key: string) => `${PREFIX.use}${key}`,
  gone: (key: string) => `${PREFIX.gone}${key}`,
  tomb: (image: string) => `${PREFIX.tomb}${image}`,
  img: (image: string, key: string) => `${PREFIX.img}${image}:${key}`,
  op: (id: string) => `${PREFIX.op}${id}`,
};

const KINDS = Object.keys(PREFIX) as Kind[];

// What a verb on a few volumes reads: their own entries by name, their xapi keys as one prefix
// range each, the SR's own entries, and the journal's (op: holds only operations under way or
// left by a crash: a handful whatever the SR's size, and a verb must see those that concern its
// volumes).
export function volumeReads(keys: readonly string[]): { keys: string[]; prefixes: string[] } {
  const own = (key: string) => [K.vol(key), K.nam(key), K.dsc(key), K.use(key), K.gone(key), K.act(key)];
  return {
    keys: [K.config, K.name, K.description, ...keys.flatMap(own)],
    prefixes: [...keys.map((key) => `${PREFIX.key}${key}:`), PREFIX.op],
  };
}

// The index entries of the volumes that share `image` (layout 2): a range a destroy reads.
export const sharersOf = (image: string): string => `${PREFIX.img}${image}:`;

// The entries that make a volume's record: `vol:`, and its index entry if it is a snapshot. Every
// write of a record writes them together, so the index never misses a snapshot a plugin of layout
// 2 wrote.
export function recordEntries(key: string, record: VolumeRecord): Record<string, string> {
  const index = indexEntry(key, record);
  return { [K.vol(key)]: JSON.stringify(record), ...(index === undefined ? {} : { [index]: "" }) };
}

export const indexEntry = (key: string, record: VolumeRecord): string | undefined => (record.snap === undefined ? undefined : K.img(record.image, key));

// What a destroy removes of a record.
export const recordKeys = (key: string, record: VolumeRecord): string[] => Object.keys(recordEntries(key, record));

// The kind and item of a per-item entry (`vol:<key>` is vol and <key>), or undefined for others.
export function splitKey(k: string): { kind: Kind; item: string } | undefined {
  const kind = KINDS.find((p) => k.startsWith(PREFIX[p]));
  return kind === undefined ? undefined : { kind, item: k.slice(PREFIX[kind].length) };
}

// The metadata layout SR.create writes and `ceph-rbd-admin upgrade` brings an SR to. 1: every
// record but no index; 2: with the `img:` index. A plugin that knows only 1 refuses an SR of 2
// (its SrConfig fails to parse: SR_does_not_exist) instead of writing a snapshot the index misses.
export const LAYOUT_VERSION = 2;

export const SrConfig = once(() =>
  z.object({
    version: z.union([z.literal(1), z.literal(LAYOUT_VERSION)]),
    uuid: z.string(),
    features: z.array(z.string()),
    created: z.string(),
  }),
);
export type SrConfig = z.infer<ReturnType<typeof SrConfig>>;

export const VolumeRecord = once(() =>
  z.object({
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
    // Changed-block tracking (volume/volume/cbt.ts). On a head: present while CBT is on, the id of
    // its current CBT epoch, fresh at each enable and each revert. On a snapshot: the epoch of the
    // head it was taken of, absent if CBT was off then (or disabled on the snapshot since). Two
    // points of one image with one epoch have an unbroken chain between them.
    cbt: z.optional(z.string()),
    // A snapshot whose data xapi declared destroyed (Volume.data_destroy, a `cbt_metadata` VDI):
    // it has no datapath any more and serves only as the start of a diff; its RBD snapshot stays
    // until the volume is destroyed, since RBD's diff needs it.
    dataDestroyed: z.optional(z.literal(true)),
  }),
);
export type VolumeRecord = z.infer<ReturnType<typeof VolumeRecord>>;

export const Tombstone = once(() => z.object({ image: z.string(), key: z.string(), since: z.string() }));
export type Tombstone = z.infer<ReturnType<typeof Tombstone>>;
