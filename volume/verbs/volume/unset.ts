import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeUnset } from "../../../plugins/wire/verbs.js";
import { unsetKey } from "../../services/volumes.js";

export default defineVerb(VolumeUnset, (p, ctx) => unsetKey(ctx, p));
