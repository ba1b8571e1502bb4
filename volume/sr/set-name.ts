import { defineVerb } from "../../plugins/runtime/verb.js";
import { SrSetName } from "../../plugins/wire/verbs.js";
import { setSrText } from "./texts.js";

export default defineVerb(SrSetName, (p, ctx) => setSrText(ctx, { sr: p.sr, field: "name", value: p.new_name }));
