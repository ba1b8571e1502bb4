import { defineVerb } from "../../plugins/runtime/verb.js";
import { DatapathAttach } from "../../plugins/wire/verbs.js";
import { attachVerb } from "../services/datapath.js";

export default defineVerb(DatapathAttach, (p, ctx) => attachVerb(ctx, p));
