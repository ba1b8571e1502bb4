import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeUnset } from "../../plugins/wire/verbs.js";
import { K } from "../meta/layout.js";
import { drop, readVolume } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";

export default defineVerb(VolumeUnset, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readVolume(sr, p.key), p.key);
  await drop(sr, K.xkey(p.key, p.k));
  return null;
});
