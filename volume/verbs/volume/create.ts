import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeCreate } from "../../../plugins/wire/verbs.js";
import { createVolume } from "../../services/volumes.js";

export default defineVerb(VolumeCreate, (p, ctx) => createVolume(ctx, p));
