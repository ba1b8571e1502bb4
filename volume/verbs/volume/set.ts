import { defineVerb } from "../../../plugins/runtime/verb.js";
import { VolumeSet } from "../../../plugins/wire/verbs.js";
import { setKey } from "../../services/volumes.js";

export default defineVerb(VolumeSet, (p, ctx) => setKey(ctx, p));
