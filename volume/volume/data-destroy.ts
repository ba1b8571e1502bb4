// Volume.data_destroy: xapi declares a CBT snapshot's data gone and keeps it as a `cbt_metadata`
// VDI, the start of the next incremental backup's list. With RBD that list is a diff from the
// snapshot itself, so what this frees, precisely:
//  - now: nothing in Ceph. The record is marked (one omap write): the volume loses its datapath
//    URIs, reads as CBT_Metadata, and can no longer be cloned, snapshotted or reverted to.
//  - when xapi destroys the cbt_metadata VDI (Volume.destroy): its RBD snapshot, and with it the
//    data only it holds (clone v2 keeps it in the trash namespace while a clone still reads it).
//  - the disk itself: nothing changes; its head's reclaim rules (destroy, the GC) stay as they are.
// Idempotent; refused (nothing changed) for a writable volume, a snapshot without CBT (xapi checks
// the same: only CBT metadata can remain), and while the snapshot is active on any host.
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { VolumeDataDestroy } from "../../plugins/wire/verbs.js";
import { changeRecord } from "./cbt.js";
import { ensureInactive } from "./lookup.js";

export default defineVerb(VolumeDataDestroy, (p, ctx) =>
  changeRecord(ctx, p.sr, p.key, "data_destroy", (v, state) => {
    if (v.record.dataDestroyed) return undefined;
    if (v.record.snap === undefined) throw new Invalid_request(p.key, `${p.key} is not a snapshot: only a snapshot's data can be destroyed`);
    if (v.record.cbt === undefined) throw new Invalid_request(p.key, `CBT is not on for ${p.key}: its data would leave nothing behind`);
    ensureInactive(state, p.key, "destroying its data");
    return { ...v.record, dataDestroyed: true };
  }),
);
