// Volume.clone: a clone-v2 child of the volume, as a new writable volume (source.ts).
import { randomUUID } from "node:crypto";
import { clone, snapCreate, snapRemove } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeClone } from "../../plugins/wire/verbs.js";
import { finish, intentIf, step } from "../journal/journal.js";
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import type { VolumeRecord } from "../meta/layout.js";
import { putRecord } from "../meta/store.js";
import { ensureCloneable } from "./depth.js";
import { familyOf } from "./lookup.js";
import { toWireVolume } from "./record.js";
import { underSource } from "./source.js";
import { writeTexts } from "./texts.js";

export default defineVerb(VolumeClone, (p, ctx) =>
  underSource(ctx, p.sr, p.key, async (sr, source, { config }) => {
    const newKey = randomUUID();
    const image = `vol-${randomUUID()}`;
    // A writable source is cloned through a temporary snapshot of its head, dropped at once:
    // with clone v2 it stays in the trash snapshot namespace for as long as the clone needs it.
    const hidden = source.record.snap === undefined;
    const parentSnap = source.record.snap ?? `clone-${newKey}`;
    const entry = await intentIf(
      sr,
      { op: "clone", key: p.key, newKey, image, parent: source.record.image, parentSnap, hidden },
      ensureCloneable(sr, source.record.image),
    );
    // The names are written during the image steps, under one Promise.all: a failed image step
    // must not leave their promise rejected with nobody waiting (Node would exit without printing
    // the verb's error object).
    const images = async () => {
      if (hidden) {
        await snapCreate(sr.place, sr.log, source.record.image, parentSnap);
        step(entry, "snap");
      }
      await clone(sr.place, sr.log, source.record.image, parentSnap, image, config.features);
    };
    await Promise.all([images(), writeTexts(sr, newKey, source.name, source.description)]);
    step(entry, "clone");
    const record: VolumeRecord = {
      uuid: newKey,
      image,
      sharable: source.record.sharable,
      size: source.record.size,
      created: new Date().toISOString(),
      parent: p.key,
      family: familyOf(source),
    };
    await putRecord(sr, newKey, record);
    step(entry, "commit");
    if (hidden) await ignoreNotFound(snapRemove(sr.place, sr.log, source.record.image, parentSnap));
    await finish(sr, entry);
    return toWireVolume(sr.place, { key: newKey, record, name: source.name, description: source.description, keys: {} }, 0);
  }),
);
