import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeClone } from "../../../plugins/wire/verbs.js";
import { cloneVolume } from "../../services/snapshots.js";

export default defineVerb(VolumeClone, (p, ctx) => cloneVolume(ctx, p));
