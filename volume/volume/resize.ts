// Volume.resize: grows a writable volume, inactive or (where its datapath can show the new size
// to the guest: resize-online.ts) active; shrinking is refused as XAPI expects.
import { withLock } from "../../plugins/ceph/locks.js";
import { imageResize } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_request, shrinkRefused } from "../../plugins/wire/errors.js";
import { VolumeResize } from "../../plugins/wire/verbs.js";
import { begin, finish, step } from "../journal/journal.js";
import { K } from "../meta/layout.js";
import { putRecord, readVolume } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";
import { recoverOwn } from "./recovery.js";
import { onlineGrower } from "./resize-online.js";
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
    const a = state.active.get(p.key);
    const run = a ? onlineGrower(sr, p.key, v.record, a, size) : (grow: () => Promise<void>) => grow();
    if (size === v.record.size) return null;
    const entry = await begin(sr, { op: "resize", key: p.key, image: v.record.image, size });
    let started = false;
    try {
      await run(async () => {
        started = true;
        await imageResize(sr.place, sr.log, v.record.image, size);
        step(entry, "image");
      });
    } catch (e) {
      // Refused before the image was touched: nothing to recover, the entry goes too.
      if (!started) await finish(sr, entry);
      throw e;
    }
    await putRecord(sr, p.key, { ...v.record, size });
    await finish(sr, entry);
    return null;
  });
});
