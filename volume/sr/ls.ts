// SR.ls: every volume from the SR's metadata alone, in one listing (no image is opened).
import { defineVerb } from "../../plugins/runtime/verb.js";
import { SrLs } from "../../plugins/wire/verbs.js";
import { readSr } from "../meta/store.js";
import { toWireVolume } from "../volume/record.js";
import { usageOf } from "../volume/usage.js";
import { openSr } from "./open.js";

export default defineVerb(SrLs, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  const state = await readSr(sr);
  return [...state.volumes.values()].map((v) => toWireVolume(sr.place, v, usageOf(state, v.key)));
});
