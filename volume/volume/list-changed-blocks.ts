// Volume.list_changed_blocks: the 64 KiB blocks that differ between snapshot `key` and `key2`, a
// later snapshot of the same disk or the disk itself, from RBD's own exact diff, as xapi's bitmap
// (plugins/wire/changed-blocks.ts). It never answers a smaller bitmap than the truth: wherever the
// chain between the two is broken (cbt.ts), the pair is backwards, or either point moved while the
// diff ran, it fails with CBT_chain_broken and the consumer takes a full backup instead. Reads
// only: no lock, nothing written.
import { imageDiff } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { blockRange, CBT_BLOCK, changedBitmap } from "../../plugins/wire/changed-blocks.js";
import { CBT_chain_broken, Invalid_request } from "../../plugins/wire/errors.js";
import { VolumeListChangedBlocks } from "../../plugins/wire/verbs.js";
import type { VolumeState } from "../meta/sr-state.js";
import { readVolumes } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { chainBreak } from "./cbt.js";
import { volumeOf } from "./lookup.js";

const samePoint = (a: VolumeState, b: VolumeState | undefined): boolean =>
  b !== undefined && a.record.image === b.record.image && a.record.snap === b.record.snap && a.record.cbt === b.record.cbt && a.record.size === b.record.size;

export default defineVerb(VolumeListChangedBlocks, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  const state = await readVolumes(sr, [p.key, p.key2]);
  const from = volumeOf(state, p.key);
  const to = volumeOf(state, p.key2);
  const size = to.record.size;
  if (p.offset > size) throw new Invalid_request(String(p.offset), `offset ${p.offset} is beyond the end of ${p.key2} (${size} bytes)`);
  const broken = chainBreak(from, to);
  if (broken !== undefined) throw new CBT_chain_broken(p.key2, broken);
  const { first, count } = blockRange(size, p.offset, p.length);
  // The diff covers whole blocks: a change before `offset` in its first block sets that block too.
  const diff = await imageDiff(sr.place, sr.log, to.record.image, from.record.snap ?? "", to.record.snap, first * CBT_BLOCK, count * CBT_BLOCK);
  if (diff.backwards) throw new CBT_chain_broken(p.key2, `${p.key} was taken after ${p.key2}: the first volume must be the earlier one`);
  // A revert or destroy of `key2` meanwhile (its old head reclaimed to nothing would diff as empty).
  const after = await readVolumes(sr, [p.key, p.key2]);
  if (!samePoint(to, after.volumes.get(p.key2)) || !samePoint(from, after.volumes.get(p.key)) || diff.size !== size)
    throw new CBT_chain_broken(p.key2, `${p.key} or ${p.key2} changed while their blocks were listed; ask again`);
  if (!diff.fast) sr.log.info(`list_changed_blocks ${p.key}..${p.key2}: no valid fast-diff on ${to.record.image}, every object was read`);
  return { granularity: CBT_BLOCK, bitmap: changedBitmap(first, count, diff.extents).toString("base64") };
});
