// Volume.snapshot and Volume.clone: new volumes sharing data with an existing one through RBD
// snapshots and clone-v2 children. Names and descriptions are copied; xapi's keys never are.
import { randomUUID } from "node:crypto";
import { clone, snapCreate, snapRemove } from "../../plugins/ceph/rbd.js";
import type { Context } from "../../plugins/runtime/verb.js";
import type { Volume } from "../../plugins/wire/records.js";
import { begin, finish, intentIf, step } from "../journal/journal.js";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import { K, type VolumeRecord, type VolumeState } from "../meta/layout.js";
import { put, readSr, type Sr, type SrRead } from "../meta/store.js";
import { withLock } from "../../plugins/ceph/locks.js";
import { toWireVolume } from "./record.js";
import { recoverOwn } from "./recovery.js";
import { measureUsage } from "./usage.js";
import { ensureCloneable } from "./depth.js";
import { familyOf, openSr, volumeOf, writeTexts, writeVolume } from "./volumes.js";

const now = () => new Date().toISOString();

// Verbs that derive a new volume from `key` hold its lock, so a concurrent destroy of `key`
// sees the new dependant (and keeps the image as a tombstone) or runs entirely before.
// Unknown names fail before the lock, which would create the SR's object if it were missing.
async function underSource<T>(ctx: Context, srName: string, key: string, work: (sr: Sr, source: VolumeState, state: SrRead) => Promise<T>): Promise<T> {
  const sr = openSr(ctx, srName);
  volumeOf(await readSr(sr), key);
  return withLock(sr, K.vol(key), async () => {
    const state = await recoverOwn(sr, key, await readSr(sr));
    return work(sr, volumeOf(state, key), state);
  });
}

export function snapshotVolume(ctx: Context, p: { sr: string; key: string }): Promise<Volume> {
  return underSource(ctx, p.sr, p.key, async (sr, source) => {
    const newKey = randomUUID();
    const base = { uuid: newKey, sharable: source.record.sharable, size: source.record.size, created: now(), parent: p.key, family: familyOf(source) };
    // A snapshot of a snapshot is the same immutable content: it shares the RBD snapshot.
    if (source.record.snap !== undefined) {
      const record: VolumeRecord = { ...base, image: source.record.image, snap: source.record.snap };
      await writeVolume(sr, newKey, record, source.name, source.description);
      return toWireVolume(sr.ref, { key: newKey, record, name: source.name, description: source.description, keys: {} }, 0);
    }
    const snap = newKey;
    const entry = await begin(sr, { op: "snapshot", key: p.key, newKey, image: source.record.image, snap });
    await Promise.all([snapCreate(sr.ref, sr.log, source.record.image, snap), writeTexts(sr, newKey, source.name, source.description)]);
    step(entry, "snap");
    const record: VolumeRecord = { ...base, image: source.record.image, snap };
    await put(sr, K.vol(newKey), JSON.stringify(record));
    step(entry, "commit");
    // The snapshot now holds what the head wrote since the snapshot before; the head holds
    // nothing of its own yet (usage counts each volume's own data, so the SR's sum is exact).
    const [held] = await Promise.all([measureUsage(sr, newKey, record), put(sr, K.use(p.key), "0"), finish(sr, entry)]);
    return toWireVolume(sr.ref, { key: newKey, record, name: source.name, description: source.description, keys: {} }, held ?? 0);
  });
}

export function cloneVolume(ctx: Context, p: { sr: string; key: string }): Promise<Volume> {
  return underSource(ctx, p.sr, p.key, async (sr, source, { config }) => {
    const newKey = randomUUID();
    const image = `vol-${randomUUID()}`;
    // A writable source is cloned through a temporary snapshot of its head, dropped at once:
    // with clone v2 it stays in the trash snapshot namespace for as long as the clone needs it.
    const hidden = source.record.snap === undefined;
    const parentSnap = source.record.snap ?? `clone-${newKey}`;
    const entry = await intentIf(sr, { op: "clone", key: p.key, newKey, image, parent: source.record.image, parentSnap, hidden }, ensureCloneable(sr, source.record.image));
    // The names are written during the image steps, under one Promise.all: a failed image step
    // must not leave their promise rejected with nobody waiting (Node would exit without printing
    // the verb's error object).
    const images = async () => {
      if (hidden) {
        await snapCreate(sr.ref, sr.log, source.record.image, parentSnap);
        step(entry, "snap");
      }
      await clone(sr.ref, sr.log, source.record.image, parentSnap, image, config.features);
    };
    await Promise.all([images(), writeTexts(sr, newKey, source.name, source.description)]);
    step(entry, "clone");
    const record: VolumeRecord = {
      uuid: newKey,
      image,
      sharable: source.record.sharable,
      size: source.record.size,
      created: now(),
      parent: p.key,
      family: familyOf(source),
    };
    await put(sr, K.vol(newKey), JSON.stringify(record));
    step(entry, "commit");
    if (hidden) await ignoreNotFound(snapRemove(sr.ref, sr.log, source.record.image, parentSnap));
    await finish(sr, entry);
    return toWireVolume(sr.ref, { key: newKey, record, name: source.name, description: source.description, keys: {} }, 0);
  });
}
