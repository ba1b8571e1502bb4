// Volume.snapshot and Volume.clone: new volumes sharing data with an existing one through RBD
// snapshots and clone-v2 children. Names and descriptions are copied; xapi's keys never are.
import { withLock } from "../../plugins/ceph/locks.js";
import type { Context } from "../../plugins/runtime/verb.js";
import { K } from "../meta/layout.js";
import { type VolumeState } from "../meta/sr-state.js";
import { readVolume, type Sr, type SrRead } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";
import { recoverOwn } from "./recovery.js";
import { ensureHasData } from "./cbt.js";

// Verbs that derive a new volume from `key` hold its lock, so a concurrent destroy of `key`
// sees the new dependant (and keeps the image as a tombstone) or runs entirely before.
// The source's own entries suffice: the new volume's facts derive from it alone.
// Unknown names fail before the lock, which would create the SR's object if it were missing.
export async function underSource<T>(ctx: Context, srName: string, key: string, work: (sr: Sr, source: VolumeState, state: SrRead) => Promise<T>): Promise<T> {
  const sr = openSr(ctx, srName);
  volumeOf(await readVolume(sr, key), key);
  return withLock(sr, K.vol(key), async () => {
    const state = await recoverOwn(sr, key, await readVolume(sr, key));
    const source = volumeOf(state, key);
    ensureHasData(source, "make a volume from it");
    return work(sr, source, state);
  });
}
