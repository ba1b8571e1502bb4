import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeSetDescription } from "../../plugins/wire/verbs.js";
import { setVolumeText } from "./texts.js";

export default defineVerb(VolumeSetDescription, (p, ctx) => setVolumeText(ctx, { sr: p.sr, key: p.key, field: "description", value: p.new_description }));
