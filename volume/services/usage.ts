// physical_utilisation without opening images on listing paths: each volume's figure is an omap
// entry (`use:<key>`) read with everything else in SR.ls's single listing. It is written when
// an image is created (0: thin, nothing written yet) and measured again with one `rbd du` of
// that image whenever a verb already holds the volume (snapshot, resize) and by the GC's passes.
import { CephError } from "../../plugins/ceph/errors.js";
import { imageDiskUsage } from "../../plugins/ceph/rbd.js";
import { K, type SrState, type VolumeRecord } from "../meta/layout.js";
import { put, type Sr } from "../meta/store.js";

export const usageOf = (state: SrState, key: string): number => state.usage.get(key) ?? 0;

// Best effort: a figure that cannot be measured now keeps its previous value.
export async function measureUsage(sr: Sr, key: string, record: VolumeRecord): Promise<number | undefined> {
  // `rbd du` aborts on a zero-sized head that has snapshots (Pacific); such a head holds nothing.
  if (record.size === 0) return 0;
  try {
    const bytes = await imageDiskUsage(sr.ref, sr.log, record.image, record.snap);
    await put(sr, K.use(key), String(bytes));
    return bytes;
  } catch (e) {
    if (!(e instanceof CephError)) throw e;
    sr.log.warning(`could not measure the usage of ${key}: ${e.message}`);
    return undefined;
  }
}
