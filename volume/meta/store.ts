// Reads and writes of the SR's metadata object, with the SMAPIv3 meaning of "not there".
import type { AtPlace } from "../../plugins/ceph/cluster.js";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import { omapList, omapRead, omapRemove, omapSet, omapUpdate } from "../../plugins/ceph/rados.js";
import { SR_does_not_exist } from "../../plugins/wire/errors.js";
import type { SrPlace } from "../sr/sr-place.js";
import { K, META_OBJECT, recordEntries, sharersOf, volumeReads, type VolumeRecord } from "./layout.js";
import { parseSrState, type SrState } from "./sr-state.js";

// The SR a verb works on: its place (with the datapath it prefers) and the verb's log.
export interface Sr extends AtPlace {
  readonly place: SrPlace;
}

const where = (p: SrPlace) => `${p.pool}/${p.namespace}`;

// Every entry, or undefined when the metadata object does not exist.
export async function readEntries(sr: Sr): Promise<Map<string, string> | undefined> {
  return ignoreNotFound(omapList(sr.place, sr.log, META_OBJECT));
}

// Named entries of the SR's own (those present).
export const readKeys = (sr: Sr, keys: readonly string[]): Promise<Map<string, string>> => omapRead(sr.place, sr.log, META_OBJECT, keys);

// Whether the SR's metadata object exists, by one small read whatever the SR's size.
export const srExists = async (sr: Sr): Promise<boolean> => (await ignoreNotFound(omapRead(sr.place, sr.log, META_OBJECT, [K.config]))) !== undefined;

// The SR as a whole; fails with SR_does_not_exist unless SR.create completed.
// An SR's state as read for a verb: the SR exists, so its configuration does.
export type SrRead = SrState & { config: NonNullable<SrState["config"]> };

function existing(sr: Sr, entries: ReadonlyMap<string, string> | undefined): SrRead {
  const state = entries && parseSrState(entries);
  if (!state?.config) throw new SR_does_not_exist(where(sr.place), `no SR of this plugin in ${where(sr.place)}`);
  return state as SrRead;
}

export const readSr = async (sr: Sr): Promise<SrRead> => existing(sr, await readEntries(sr));

// The SR as a verb on a few volumes sees it: the SR's own entries, the journal, and those
// volumes alone (`volumes` holds those that exist; no other volume's entries are read).
export async function readVolumes(sr: Sr, volumes: readonly string[], extra: readonly string[] = []): Promise<SrRead> {
  const { keys, prefixes } = volumeReads(volumes);
  return existing(sr, await ignoreNotFound(omapRead(sr.place, sr.log, META_OBJECT, [...keys, ...extra], prefixes)));
}

// A tombstone, and the entries of the volume destroyed into it: what decides whether it is held
// (plan.ts), read in two small reads whatever the SR's size.
export async function readTombstone(sr: Sr, image: string): Promise<SrRead> {
  const state = await readVolumes(sr, [], [K.tomb(image)]);
  const t = state.tombstones.get(image);
  return t ? readVolumes(sr, [t.key], [K.tomb(image)]) : state;
}

export const readVolume = (sr: Sr, key: string): Promise<SrRead> => readVolumes(sr, [key]);

// The keys of the snapshot volumes the index lists on `image` (layout 2), stale ones included.
export async function readSharers(sr: Sr, image: string): Promise<string[]> {
  const range = sharersOf(image);
  const entries = await omapRead(sr.place, sr.log, META_OBJECT, [], [range]);
  return [...entries.keys()].map((k) => k.slice(range.length));
}

export const put = (sr: Sr, key: string, value: string): Promise<void> => omapSet(sr.place, sr.log, META_OBJECT, key, value);

export const drop = (sr: Sr, key: string): Promise<void> => omapRemove(sr.place, sr.log, META_OBJECT, key);

// Keys set and keys removed in one atomic write.
export const update = (sr: Sr, set: Readonly<Record<string, string>>, remove: readonly string[]): Promise<void> =>
  omapUpdate(sr.place, sr.log, META_OBJECT, set, remove);

// A volume's record, with its index entry (layout.ts: recordEntries).
export const putRecord = (sr: Sr, key: string, record: VolumeRecord): Promise<void> => update(sr, recordEntries(key, record), []);

export const dropAll = async (sr: Sr, keys: readonly string[]): Promise<void> => {
  if (keys.length > 0) await update(sr, {}, keys);
};
