// Volume.revert, natively and in constant time: the volume's key is pointed at a fresh clone of
// the snapshot (one omap write), and the old head becomes a tombstone for the GC. Nothing is
// copied, whatever the size; the volume keeps its key, uuid, name, description and keys, and
// every other snapshot of it stays valid (they live on the old head, which the GC keeps).
import { randomUUID } from "node:crypto";
import { clone } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeRevert } from "../../plugins/wire/verbs.js";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { commitLast, intentIf, step } from "../journal/journal.js";
import { K, recordEntries } from "../meta/layout.js";
import { put, readVolumes } from "../meta/store.js";
import { ensureCloneable } from "./depth.js";
import { withLocks } from "../../plugins/ceph/locks.js";
import { recoverOwn } from "./recovery.js";
import { openSr } from "../sr/open.js";
import { ensureInactive, familyOf, volumeOf } from "./lookup.js";
import { afterRevert, ensureHasData } from "./cbt.js";

export default defineVerb(VolumeRevert, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  // Unknown names fail before the lock, which would create the SR's object if it were missing.
  // The two volumes' own entries suffice: the old head always becomes a tombstone.
  const first = await readVolumes(sr, [p.key, p.snapshot]);
  volumeOf(first, p.key);
  const snapImage = volumeOf(first, p.snapshot).record.image;
  // The clone-depth check opens images (about 10 ms): it runs while the lock is taken. A
  // snapshot's image never changes, so the answer still holds under the lock.
  const cloneable = ensureCloneable(sr, snapImage);
  cloneable.catch(() => undefined); // awaited below, unless a check under the lock refuses first
  // The snapshot's lock too: a Volume.destroy of the snapshot, which takes only the snapshot's,
  // would otherwise remove the RBD snapshot between this read and the clone made of it.
  return withLocks(sr, [K.vol(p.key), K.vol(p.snapshot)], async () => {
    const state = await recoverOwn(sr, p.key, await readVolumes(sr, [p.key, p.snapshot]));
    const v = volumeOf(state, p.key);
    const s = volumeOf(state, p.snapshot);
    if (v.record.snap !== undefined) throw new Invalid_request(p.key, `${p.key} is a snapshot; only a writable volume can be reverted`);
    if (s.record.snap === undefined) throw new Invalid_request(p.snapshot, `${p.snapshot} is not a snapshot`);
    ensureHasData(s, "revert to it");
    if (familyOf(s) !== familyOf(v)) throw new Invalid_request(p.snapshot, `${p.snapshot} is not a snapshot of ${p.key}`);
    ensureInactive(state, p.key, "reverting it");
    const image = `vol-${randomUUID()}`;
    const op = { op: "revert" as const, key: p.key, snapshot: p.snapshot, image, old: v.record.image, snapImage: s.record.image, snap: s.record.snap };
    // Each group below runs at once; recovery undoes any part of a group (journal.ts, rule 3).
    const entry = await intentIf(sr, op, s.record.image === snapImage ? cloneable : ensureCloneable(sr, s.record.image));
    await Promise.all([
      clone(sr.place, sr.log, s.record.image, s.record.snap, image, state.config.features),
      put(sr, K.tomb(op.old), JSON.stringify({ image: op.old, key: p.key, since: new Date().toISOString() })),
    ]);
    step(entry, "clone");
    // The commit point, and the last step; the new head holds no data of its own yet.
    await commitLast(sr, entry, { ...recordEntries(p.key, afterRevert(v.record, image, s.record.size)), [K.use(p.key)]: "0" });
    return null;
  });
});
