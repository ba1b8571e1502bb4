// Volume.resize: grows a writable, inactive volume; shrinking is refused as XAPI expects.
import { withLock } from "../../plugins/ceph/locks.js";
import { imageResize } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_request, shrinkRefused } from "../../plugins/wire/errors.js";
import { VolumeResize } from "../../plugins/wire/verbs.js";
import { begin, finish, step } from "../journal/journal.js";
import { K } from "../meta/layout.js";
import { put, readVolume } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { ensureInactive, volumeOf } from "./lookup.js";
import { recoverOwn } from "./recovery.js";
import { roundSize } from "./size.js";

export default defineVerb(VolumeResize, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readVolume(sr, p.key), p.key);
  const size = roundSize(p.new_size);
  return withLock(sr, K.vol(p.key), async () => {
    const state = await recoverOwn(sr, p.key, await readVolume(sr, p.key));
    const v = volumeOf(state, p.key);
    if (v.record.snap !== undefined) throw new Invalid_request(p.key, `volume ${p.key} is a read-only snapshot and cannot be resized`);
    if (p.new_size < v.record.size) throw shrinkRefused(v.record.size, p.new_size);
    ensureInactive(state, p.key, "resizing it");
    if (size === v.record.size) return null;
    const entry = await begin(sr, { op: "resize", key: p.key, image: v.record.image, size });
    await imageResize(sr.place, sr.log, v.record.image, size);
    step(entry, "image");
    await put(sr, K.vol(p.key), JSON.stringify({ ...v.record, size }));
    await finish(sr, entry);
    return null;
  });
});
