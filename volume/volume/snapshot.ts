// Volume.snapshot: an RBD snapshot of the head, as a new read-only volume (source.ts).
import { randomUUID } from "node:crypto";
import { snapCreate } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeSnapshot } from "../../plugins/wire/verbs.js";
import { begin, finish, step } from "../journal/journal.js";
import { K, type VolumeRecord } from "../meta/layout.js";
import { put, putRecord } from "../meta/store.js";
import { familyOf } from "./lookup.js";
import { toWireVolume } from "./record.js";
import { underSource } from "./source.js";
import { writeTexts, writeVolume } from "./texts.js";
import { measureUsage } from "./usage.js";

export default defineVerb(VolumeSnapshot, (p, ctx) =>
  underSource(ctx, p.sr, p.key, async (sr, source) => {
    const newKey = randomUUID();
    const base = {
      uuid: newKey,
      sharable: source.record.sharable,
      size: source.record.size,
      created: new Date().toISOString(),
      parent: p.key,
      family: familyOf(source),
      // The disk's CBT epoch: this snapshot is a point of its chain (cbt.ts).
      ...(source.record.cbt ? { cbt: source.record.cbt } : {}),
    };
    // A snapshot of a snapshot is the same immutable content: it shares the RBD snapshot.
    if (source.record.snap !== undefined) {
      const record: VolumeRecord = { ...base, image: source.record.image, snap: source.record.snap };
      await writeVolume(sr, newKey, record, source.name, source.description);
      return toWireVolume(sr.place, { key: newKey, record, name: source.name, description: source.description, keys: {} }, 0);
    }
    const snap = newKey;
    const entry = await begin(sr, { op: "snapshot", key: p.key, newKey, image: source.record.image, snap });
    await Promise.all([snapCreate(sr.place, sr.log, source.record.image, snap), writeTexts(sr, newKey, source.name, source.description)]);
    step(entry, "snap");
    const record: VolumeRecord = { ...base, image: source.record.image, snap };
    await putRecord(sr, newKey, record);
    step(entry, "commit");
    // The snapshot now holds what the head wrote since the snapshot before; the head holds
    // nothing of its own yet (usage counts each volume's own data, so the SR's sum is exact).
    const [held] = await Promise.all([measureUsage(sr, newKey, record), put(sr, K.use(p.key), "0"), finish(sr, entry)]);
    return toWireVolume(sr.place, { key: newKey, record, name: source.name, description: source.description, keys: {} }, held ?? 0);
  }),
);
