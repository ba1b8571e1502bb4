// Datapath.deactivate: stops this host's NBD server and clears this host's activation record.
// The volume or the SR may be gone already (destroyed after a failed start): nothing to clear.
import { defineVerb } from "../plugins/runtime/verb.js";
import { DatapathDeactivate } from "../plugins/wire/verbs.js";
import { deactivate } from "./activation.js";
import { ignoreNotFound } from "../plugins/ceph/errors.js";
import { stopNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export default defineVerb(DatapathDeactivate, async (p, ctx) => {
  const t = targetOf(p.uri, ctx.log);
  if (t.scheme === "rbd+nbd") await stopNbd(t);
  await ignoreNotFound(deactivate(t));
  return null;
});
