// physical_utilisation without opening images on listing paths: each volume's figure is an omap
// entry (`use:<key>`) read with everything else in SR.ls's single listing. A volume without one
// counts 0 (a new image is thin: nothing written yet); Volume.snapshot measures the snapshot as
// `rbd du` would, through the verb's session (and sets the head to 0: it holds nothing of its own
// yet); the GC measures a few writable volumes every pass, in turn.
import { CephError } from "../../plugins/ceph/errors.js";
import { imageDiskUsage } from "../../plugins/ceph/rbd.js";
import { K, type VolumeRecord } from "../meta/layout.js";
import { type SrState } from "../meta/sr-state.js";
import { put, readKeys, readVolume, type Sr } from "../meta/store.js";

export const usageOf = (state: SrState, key: string): number => state.usage.get(key) ?? 0;

// The GC's share: a few writable volumes per pass, in turn, so every figure is refreshed within
// (volumes / batch) passes whatever the SR's size, at a bounded cost per pass. Chosen from the
// pass's state (`state`, read before its actions); each is read again just before it is
// measured, so that a volume destroyed since gets no figure (a `use:` entry of no volume).
export async function refreshSome(sr: Sr, state: SrState, batch: number): Promise<number> {
  const heads = [...state.volumes.values()].filter((v) => v.record.snap === undefined).sort((a, b) => a.key.localeCompare(b.key));
  if (heads.length === 0) return 0;
  const cursor = (await readKeys(sr, [K.usageCursor])).get(K.usageCursor) ?? "";
  const start = heads.findIndex((v) => v.key > cursor);
  const turn = [...heads.slice(Math.max(start, 0)), ...heads.slice(0, Math.max(start, 0))].slice(0, batch);
  let measured = 0;
  for (const v of turn) {
    const now = (await readVolume(sr, v.key)).volumes.get(v.key);
    if (!now || now.record.snap !== undefined || now.record.image !== v.record.image) continue;
    await measureUsage(sr, v.key, now.record);
    measured += 1;
  }
  await put(sr, K.usageCursor, turn[turn.length - 1]?.key ?? "");
  return measured;
}

// Best effort: a figure that cannot be measured now keeps its previous value.
export async function measureUsage(sr: Sr, key: string, record: VolumeRecord): Promise<number | undefined> {
  try {
    const bytes = await imageDiskUsage(sr.place, sr.log, record.image, record.snap);
    await put(sr, K.use(key), String(bytes));
    return bytes;
  } catch (e) {
    if (!(e instanceof CephError)) throw e;
    sr.log.warning(`could not measure the usage of ${key}: ${e.message}`);
    return undefined;
  }
}
