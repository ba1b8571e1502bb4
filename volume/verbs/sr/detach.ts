import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrDetach } from "../../../plugins/wire/verbs.js";
import { detachSr } from "../../services/sr.js";

export default defineVerb(SrDetach, (p, ctx) => detachSr(ctx, p));
