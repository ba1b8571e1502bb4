// Datapath.deactivate: stops this host's NBD server and clears this host's activation record.
import { defineVerb } from "../plugins/runtime/verb.js";
import { DatapathDeactivate } from "../plugins/wire/verbs.js";
import { deactivate } from "./activation.js";
import { tolerateGone } from "./gone.js";
import { stopNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export default defineVerb(DatapathDeactivate, async (p, ctx) => {
  const t = targetOf(p.uri, ctx.log);
  if (t.scheme === "rbd+nbd") await stopNbd(t);
  await tolerateGone(deactivate(t));
  return null;
});
