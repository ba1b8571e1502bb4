import { defineVerb } from "../../plugins/runtime/verb.js";
import { DatapathDeactivate } from "../../plugins/wire/verbs.js";
import { deactivateVerb } from "../services/datapath.js";

export default defineVerb(DatapathDeactivate, (p, ctx) => deactivateVerb(ctx, p));
