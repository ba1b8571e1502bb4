// SR.destroy: refused while any volume is listed; what remains (tombstones, the trash, half-done
// work) is the SR's own garbage and goes with it (purge.ts).
import { withLock } from "../../plugins/ceph/locks.js";
import { objectRemove } from "../../plugins/ceph/rados.js";
import { namespaceRemove } from "../../plugins/ceph/rbd.js";
import { defineVerb } from "../../plugins/runtime/verb.js";
import { srNotEmpty } from "../../plugins/wire/errors.js";
import { SrDestroy } from "../../plugins/wire/verbs.js";
import { stopWorker } from "../gc/control.js";
import { removeView } from "../gc/view-store.js";
import { SR_LOCK } from "../../plugins/wire/sr-object.js";
import { META_OBJECT } from "../meta/layout.js";
import { readSr } from "../meta/store.js";
import { openSr } from "./open.js";
import { purgeNamespace } from "./purge.js";

export default defineVerb(SrDestroy, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  await readSr(sr);
  await withLock(sr, SR_LOCK, async () => {
    const state = await readSr(sr);
    if (state.volumes.size > 0) throw srNotEmpty(state.volumes.size);
    await purgeNamespace(sr);
  });
  await stopWorker(sr.place, ctx.log);
  await removeView(sr);
  await objectRemove(sr.place, sr.log, META_OBJECT);
  await namespaceRemove(sr.place, sr.log);
  return null;
});
