// Volume.set: one of xapi's keys on a volume (never copied by snapshot or clone).
import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeSet } from "../../plugins/wire/verbs.js";
import { K } from "../meta/layout.js";
import { put, readVolume } from "../meta/store.js";
import { openSr } from "../sr/open.js";
import { volumeOf } from "./lookup.js";

export default defineVerb(VolumeSet, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  volumeOf(await readVolume(sr, p.key), p.key);
  await put(sr, K.xkey(p.key, p.k), p.v);
  return null;
});
