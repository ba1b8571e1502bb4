// Volume.enable_cbt: the disk's changes become listable from its next snapshot on. Enabling it
// again keeps the epoch, so a repeated call breaks no chain.
import { defineVerb } from "../../plugins/runtime/verb.js";
import { Invalid_request } from "../../plugins/wire/errors.js";
import { VolumeEnableCbt } from "../../plugins/wire/verbs.js";
import { changeRecord, newEpoch } from "./cbt.js";

export default defineVerb(VolumeEnableCbt, (p, ctx) =>
  changeRecord(ctx, p.sr, p.key, "enable_cbt", (v) => {
    if (v.record.snap !== undefined)
      throw new Invalid_request(p.key, `${p.key} is a snapshot: CBT is enabled on its disk, and snapshots taken then inherit it`);
    return v.record.cbt === undefined ? { ...v.record, cbt: newEpoch() } : undefined;
  }),
);
