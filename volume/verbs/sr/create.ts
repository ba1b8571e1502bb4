import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrCreate } from "../../../plugins/wire/verbs.js";
import { createSr } from "../../services/sr.js";

export default defineVerb(SrCreate, (p, ctx) => createSr(ctx, p));
