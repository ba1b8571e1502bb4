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
import { K, LAYOUT_VERSION, recordKeys } from "../meta/layout.js";
import { type SrState, type VolumeState } from "../meta/sr-state.js";
import { dropAll, put, readSharers, readSr, readVolume, readVolumes, type Sr, type SrRead } from "../meta/store.js";
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

// The volume and every other volume that shares its image, which are all the destroy's plan
// needs. Layout 2 finds them by the image's index range (layout.ts), at any SR size; an SR of
// layout 1 has no index, and is read whole.
async function withSharers(sr: Sr, state: SrRead, v: VolumeState): Promise<SrRead> {
  if (state.config.version !== LAYOUT_VERSION) return readSr(sr);
  const others = (await readSharers(sr, v.record.image)).filter((k) => k !== v.key);
  return others.length === 0 ? state : readVolumes(sr, [v.key, ...others]);
}

export default defineVerb(VolumeDestroy, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  const first = await readVolume(sr, p.key);
  const known = (s: SrState) => s.volumes.has(p.key) || s.gone.has(p.key);
  const pending = (s: SrState) => [...s.ops.values()].some((t) => parseEntry(t)?.op.key === p.key);
  // An unknown key takes no lock: a lock is a write to the SR's object.
  if (!known(first) && !pending(first)) {
    ctx.log.warning(`Volume.destroy: no volume ${p.key} in this SR; nothing to destroy`);
    return null;
  }
  return withLock(sr, K.vol(p.key), async () => {
    const own = await recoverOwn(sr, p.key, await readVolume(sr, p.key));
    const v = own.volumes.get(p.key);
    // Destroyed already (xapi repeats destroy on clone-on-boot disks): nothing left to do.
    if (!v) return null;
    const state = await withSharers(sr, own, v);
    // Under the lock that activation takes to write `act:`, so no activate slips in between. A
    // snapshot exported read-only counts too; an unreadable record counts as active.
    ensureInactive(state, p.key, "destroying it");
    const op = planDestroy(state, v);
    const entry = await begin(sr, op);
    if (op.mode === "tombstone") await put(sr, K.tomb(op.image), JSON.stringify({ image: op.image, key: op.key, since: new Date().toISOString() }));
    await dropAll(sr, recordKeys(p.key, v.record));
    step(entry, "commit");
    await finishDestroy(sr, op, state);
    await finish(sr, entry);
    return null;
  });
});
