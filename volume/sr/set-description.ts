import { defineVerb } from "../../plugins/runtime/verb.js";
import { SrSetDescription } from "../../plugins/wire/verbs.js";
import { setSrText } from "./texts.js";

export default defineVerb(SrSetDescription, (p, ctx) => setSrText(ctx, { sr: p.sr, field: "description", value: p.new_description }));
