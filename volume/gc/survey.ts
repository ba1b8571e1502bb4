// What an SR's namespace holds, then what its metadata says, in that order. Every image and
// snapshot a verb makes comes after its journal intent (journal.ts, rule 1), so whatever the
// listing shows, the later metadata read names it, as an intent or as a record. Read the other
// way round, or both at once, a snapshot made in between would look leaked to the GC and fsck,
// and be removed under the verb that is about to record it.
import { trashList } from "../../plugins/ceph/rbd.js";
import { readSr, type Sr } from "../meta/store.js";
import { imageView, type ViewUse } from "./image-view.js";

export async function survey(sr: Sr, use: ViewUse) {
  const [list, trash] = await Promise.all([imageView(sr, use), trashList(sr.place, sr.log)]);
  const state = await readSr(sr);
  return { state, list, trash };
}
