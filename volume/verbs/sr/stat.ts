import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrStatVerb } from "../../../plugins/wire/verbs.js";
import { statSr } from "../../services/sr.js";

export default defineVerb(SrStatVerb, (p, ctx) => statSr(ctx, p));
