// Volume.destroy: idempotent, and never refused because of snapshots or clones. Refused (nothing
// changed) only while a datapath has the volume active, on any host: a head destroyed under a
// running VM would be reclaimed by the GC, its disk shrunk to nothing. A key this SR does not
// hold succeeds, with a warning: xapi's database can outlive the SR's metadata, and an admin must
// always be able to remove a VDI record (as CSI's DeleteVolume requires).
//  - a snapshot: its record goes, then its RBD snapshot (unless another record shares it);
//    with clone v2 a snapshot that clones still read moves to the trash snapshot namespace;
//  - a head that snapshots still need: a hidden tombstone, owned by the GC;
//  - any other head: moved to the RBD trash (O(1) whatever its size), purged in the background.
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeDestroy } from "../../plugins/wire/verbs.js";
import { begin, finish, parseEntry, step, type Op } from "../journal/journal.js";
import { finishDestroy } from "../journal/recover.js";
import { K, type SrState, type VolumeState } from "../meta/layout.js";
import { drop, put, readSr } from "../meta/store.js";
import { withLock } from "../../plugins/ceph/locks.js";
import { recoverOwn } from "./recovery.js";
import { openSr } from "../sr/open.js";
import { ensureInactive } from "./lookup.js";

const entriesOf = (v: VolumeState): string[] => [K.nam(v.key), K.dsc(v.key), K.use(v.key), ...Object.keys(v.keys).map((k) => K.xkey(v.key, k))];

const planDestroy = (state: SrState, v: VolumeState): Extract<Op, { op: "destroy" }> => {
  const base = { op: "destroy" as const, key: v.key, image: v.record.image, entries: entriesOf(v) };
  if (v.record.snap !== undefined) return { ...base, mode: "snapshot", snap: v.record.snap };
  const needed = [...state.volumes.values()].some((o) => o.key !== v.key && o.record.image === v.record.image);
  return { ...base, mode: needed ? "tombstone" : "delete" };
};

export default defineVerb(VolumeDestroy, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  const first = await readSr(sr);
  const known = (s: SrState) => s.volumes.has(p.key) || s.gone.has(p.key);
  const pending = (s: SrState) => [...s.ops.values()].some((t) => parseEntry(t)?.op.key === p.key);
  // An unknown key takes no lock: a lock is a write to the SR's object.
  if (!known(first) && !pending(first)) {
    ctx.log.warning(`Volume.destroy: no volume ${p.key} in this SR; nothing to destroy`);
    return null;
  }
  return withLock(sr, K.vol(p.key), async () => {
    const state = await recoverOwn(sr, p.key, await readSr(sr));
    const v = state.volumes.get(p.key);
    // Destroyed already (xapi repeats destroy on clone-on-boot disks): nothing left to do.
    if (!v) return null;
    // Under the lock that activation takes to write `act:`, so no activate slips in between. A
    // snapshot exported read-only counts too; an unreadable record counts as active.
    ensureInactive(state, p.key, "destroying it");
    const op = planDestroy(state, v);
    const entry = await begin(sr, op);
    if (op.mode === "tombstone") await put(sr, K.tomb(op.image), JSON.stringify({ image: op.image, key: op.key, since: new Date().toISOString() }));
    await drop(sr, K.vol(p.key));
    step(entry, "commit");
    await finishDestroy(sr, op, state);
    await finish(sr, entry);
    return null;
  });
});
