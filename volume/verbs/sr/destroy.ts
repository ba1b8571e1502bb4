import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrDestroy } from "../../../plugins/wire/verbs.js";
import { destroySr } from "../../services/sr.js";

export default defineVerb(SrDestroy, (p, ctx) => destroySr(ctx, p));
