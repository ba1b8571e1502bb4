// Volume.create: a new thin image, journaled so that a crash leaves no orphan behind.
import { randomUUID } from "node:crypto";
import { imageCreate } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeCreate } from "../../plugins/wire/verbs.js";
import { begin, finish, step } from "../journal/journal.js";
import type { VolumeRecord } from "../meta/layout.js";
import { putRecord, readVolumes } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { toWireVolume } from "./record.js";
import { roundSize } from "./size.js";
import { writeTexts } from "./texts.js";

export default defineVerb(VolumeCreate, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  const size = roundSize(p.size);
  const { config } = await readVolumes(sr, []);
  const key = randomUUID();
  const image = `vol-${randomUUID()}`;
  const entry = await begin(sr, { op: "create", key, image });
  await Promise.all([imageCreate(sr.place, sr.log, image, size, config.features), writeTexts(sr, key, p.name, p.description)]);
  step(entry, "image");
  const record: VolumeRecord = { uuid: key, image, sharable: p.sharable, size, created: new Date().toISOString(), family: key };
  await putRecord(sr, key, record);
  step(entry, "commit");
  await finish(sr, entry);
  return toWireVolume(sr.place, { key, record, name: p.name, description: p.description, keys: {} }, 0);
});
