import { defineVerb } from "../../../plugins/runtime/verb.js";
import { SrAttach } from "../../../plugins/wire/verbs.js";
import { attachSr } from "../../services/sr.js";

export default defineVerb(SrAttach, (p, ctx) => attachSr(ctx, p));
