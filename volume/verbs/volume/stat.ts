import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeStat } from "../../../plugins/wire/verbs.js";
import { statVolume } from "../../services/volumes.js";

export default defineVerb(VolumeStat, (p, ctx) => statVolume(ctx, p));
