// SR.detach: nothing but this host's GC worker is held per host.
import { defineVerb } from "../../plugins/runtime/verb.js";
import { SrDetach } from "../../plugins/wire/verbs.js";
import { stopWorker } from "../gc/control.js";
import { openSr } from "./open.js";

export default defineVerb(SrDetach, async (p, ctx) => {
  const sr = openSr(ctx, p.sr);
  await stopWorker(sr.place, ctx.log);
  return null;
});
