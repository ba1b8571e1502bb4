import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrProbe } from "../../../plugins/wire/verbs.js";
import { probeSr } from "../../services/probe.js";

export default defineVerb(SrProbe, (p, ctx) => probeSr(ctx, p));
