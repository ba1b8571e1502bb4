import { defineVerb } from "../../plugins/runtime/verb.js";
import { DatapathDetach } from "../../plugins/wire/verbs.js";
import { detachVerb } from "../services/datapath.js";

export default defineVerb(DatapathDetach, (p, ctx) => detachVerb(ctx, p));
