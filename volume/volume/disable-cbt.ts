// Volume.disable_cbt: on a disk, ends its epoch (a later enable starts a new one, so no list
// spans the gap); on a snapshot, it stops being a point any list may start or end at.
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeDisableCbt } from "../../plugins/wire/verbs.js";
import { changeRecord } from "./cbt.js";

export default defineVerb(VolumeDisableCbt, (p, ctx) =>
  changeRecord(ctx, p.sr, p.key, "disable_cbt", (v) => {
    if (v.record.cbt === undefined) return undefined;
    const { cbt: _ended, ...rest } = v.record;
    return rest;
  }),
);
