// Empties an SR's namespace of every image and trash entry (SR.destroy, once no volume is
// listed). Clones must go before their parents, so it sweeps until a sweep makes no progress.
import { CephError } from "../../plugins/ceph/errors.js";
import { imageList, snapList, snapRemove, trashList, trashMove, trashRemove } from "../../plugins/ceph/rbd.js";
import { Busy } from "../../plugins/wire/errors.js";
import type { Sr } from "../meta/store.js";

const tolerate = async (work: Promise<void>): Promise<boolean> => {
  try {
    await work;
    return true;
  } catch (e) {
    if (e instanceof CephError && e.kind !== "unreachable" && e.kind !== "timeout") return false;
    throw e;
  }
};

export async function purgeNamespace(sr: Sr): Promise<void> {
  for (const image of await imageList(sr.place, sr.log)) {
    for (const s of await snapList(sr.place, sr.log, image)) {
      if (s.namespace?.type === undefined || s.namespace.type === "user") await tolerate(snapRemove(sr.place, sr.log, image, s.name));
    }
    await tolerate(trashMove(sr.place, sr.log, image));
  }
  for (let round = 0; round < 64; round++) {
    const trash = await trashList(sr.place, sr.log);
    if (trash.length === 0) return;
    let progress = false;
    for (const t of trash) progress = (await tolerate(trashRemove(sr.place, sr.log, t.id))) || progress;
    if (!progress) throw new Busy(sr.place.namespace, `${trash.length} image(s) of the SR cannot be removed yet (still in use?)`);
  }
}
