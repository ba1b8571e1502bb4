import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeResize } from "../../../plugins/wire/verbs.js";
import { resizeVolume } from "../../services/volumes.js";

export default defineVerb(VolumeResize, (p, ctx) => resizeVolume(ctx, p));
