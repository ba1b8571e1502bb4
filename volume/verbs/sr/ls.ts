import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrLs } from "../../../plugins/wire/verbs.js";
import { lsSr } from "../../services/sr.js";

export default defineVerb(SrLs, (p, ctx) => lsSr(ctx, p));
