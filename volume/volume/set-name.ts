import { defineVerb } from "../../plugins/runtime/verb.js";
import { VolumeSetName } from "../../plugins/wire/verbs.js";
import { setVolumeText } from "./texts.js";

export default defineVerb(VolumeSetName, (p, ctx) => setVolumeText(ctx, { sr: p.sr, key: p.key, field: "name", value: p.new_name }));
