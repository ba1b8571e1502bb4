// Clone chains must stay shallow: kernel RBD cannot map an image more than 16 parents deep,
// and every level costs reads. The GC flattens chains past a soft limit in the background;
// past the hard limit, a verb that would deepen a chain refuses and asks the GC to hurry.
import { isNotFound } from "../../plugins/ceph/errors.js";
import { taskAddFlatten } from "../../plugins/ceph/mon.js";
import { imageInfo } from "../../plugins/ceph/rbd.js";
import { XenApiError } from "../../plugins/wire/errors.js";
import { limits } from "../gc/limits.js";
import type { Sr } from "../meta/store.js";

// Parents above `image`, counted up to `max` (a parent in the trash ends the walk).
async function chainDepth(sr: Sr, image: string, max: number): Promise<number> {
  let depth = 0;
  for (let current: string | undefined = image; current !== undefined && depth <= max; depth++) {
    try {
      current = (await imageInfo(sr.place, sr.log, current)).parent?.image;
    } catch (e) {
      if (isNotFound(e)) return depth;
      throw e;
    }
    if (current === undefined) return depth;
  }
  return depth;
}

// Refuses (SR_BACKEND_FAILURE_109, XCP-ng's "chain too long") a clone of `image` that would
// pass the hard limit, after queueing the flatten that will make it possible again.
export async function ensureCloneable(sr: Sr, image: string): Promise<void> {
  const { hardDepth } = limits();
  const depth = await chainDepth(sr, image, hardDepth);
  if (depth + 1 <= hardDepth) return;
  await taskAddFlatten(sr.place, sr.log, image).catch((e: Error) => sr.log.warning(`could not queue a flatten of ${image}: ${e.message}`));
  throw new XenApiError(
    "SR_BACKEND_FAILURE_109",
    ["VDI chain too long", `a clone of ${image} would be ${depth + 1} levels deep (limit ${hardDepth}); a flatten is queued, try again when it is done`],
    `clone chain too deep under ${image}`,
  );
}
