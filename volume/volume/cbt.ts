// Changed-block tracking on RBD. RBD itself knows exactly what changed between two points of an
// image (its diff, narrowed by the per-snapshot object maps when fast-diff is on), so no bitmap is
// kept in step with the writes: what CBT records here is only whether the chain between two points
// is whole. A head with CBT on carries an epoch (layout.ts, `cbt`), fresh at each enable and each
// revert; a snapshot keeps the epoch of its head at the time. Two points of one image with one
// epoch have nothing between them that RBD's diff could miss: CBT was on throughout, and the data
// was never swapped for another image's (a revert moves the key to a new image, a clone is one).
import { randomUUID } from "node:crypto";
import { withLock } from "../../plugins/ceph/locks.js";
import { crashPoint } from "../../plugins/crash.js";
import type { Context } from "../../plugins/runtime/verb.js";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { K, type VolumeRecord } from "../meta/layout.js";
import { type VolumeState } from "../meta/sr-state.js";
import { putRecord, readVolume, type SrRead } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";
import { recoverOwn } from "./recovery.js";

export const newEpoch = (): string => randomUUID();

// The head's record after a revert: still tracked if it was, in a new epoch (its data is now
// another image's, so no earlier snapshot is a point of it any more).
export const afterRevert = (r: VolumeRecord, image: string, size: number): VolumeRecord => ({ ...r, image, size, ...(r.cbt ? { cbt: newEpoch() } : {}) });

// Why the blocks changed from `from` to `to` cannot all be listed, or undefined when they can.
// Which of the two was taken first is RBD's to say (snapshot ids): the diff refuses a backward pair.
export function chainBreak(from: VolumeState, to: VolumeState): string | undefined {
  const a = from.record;
  const b = to.record;
  if (a.snap === undefined) return `${from.key} is not a snapshot: the first volume must be the earlier snapshot, the second a later one or the disk`;
  if (a.cbt === undefined) return `CBT was not on for ${from.key} (off when it was taken, or disabled on it since)`;
  if (b.cbt === undefined) return b.snap === undefined ? `CBT is off on ${to.key}` : `CBT was not on for ${to.key}`;
  if (a.image !== b.image || a.cbt !== b.cbt)
    return `${to.key} is not a later point of ${from.key}'s disk with CBT on throughout (a revert, a clone, another disk, or CBT disabled in between)`;
  return undefined;
}

// A data-destroyed snapshot serves only as the start of a diff: nothing is made from its data.
export function ensureHasData(v: VolumeState, what: string): void {
  if (v.record.dataDestroyed) throw new Invalid_request(v.key, `the data of ${v.key} was destroyed (a cbt_metadata VDI); cannot ${what}`);
}

// One change of a volume's record, under its lock (revert and resize rewrite the same entry), in
// one omap write: nothing to journal. `change` answers the new record, or undefined for none.
// Test mode can kill the verb on either side of the write (`<op>:before-write`, `<op>:written`).
export async function changeRecord(
  ctx: Context,
  srName: string,
  key: string,
  op: string,
  change: (v: VolumeState, state: SrRead) => VolumeRecord | undefined,
): Promise<null> {
  const sr = openSr(ctx, srName);
  // Unknown names fail before the lock, which would create the SR's object if it were missing.
  volumeOf(await readVolume(sr, key), key);
  return withLock(sr, K.vol(key), async () => {
    const state = await recoverOwn(sr, key, await readVolume(sr, key));
    const next = change(volumeOf(state, key), state);
    if (next === undefined) return null;
    crashPoint(`${op}:before-write`);
    await putRecord(sr, key, next);
    crashPoint(`${op}:written`);
    return null;
  });
}
