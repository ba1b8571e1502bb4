import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeStat } from "../../plugins/wire/verbs.js";
import { readVolume } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { wireVolume } from "./lookup.js";

export default defineVerb(VolumeStat, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  return wireVolume(sr, await readVolume(sr, p.key), p.key);
});
