import { defineVerb } from "../../plugins/runtime/verb.js";
import { DatapathActivate } from "../../plugins/wire/verbs.js";
import { activateVerb } from "../services/datapath.js";

export default defineVerb(DatapathActivate, (p, ctx) => activateVerb(ctx, p));
