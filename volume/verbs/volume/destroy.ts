import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeDestroy } from "../../../plugins/wire/verbs.js";
import { destroyVolume } from "../../services/destroy.js";

export default defineVerb(VolumeDestroy, (p, ctx) => destroyVolume(ctx, p));
