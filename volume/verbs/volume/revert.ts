import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeRevert } from "../../../plugins/wire/verbs.js";
import { revertVolume } from "../../services/revert.js";

export default defineVerb(VolumeRevert, (p, ctx) => revertVolume(ctx, p));
