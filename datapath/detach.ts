// Datapath.detach: unmaps the kernel device, or makes sure no NBD server is left.
import { defineVerb } from "../plugins/runtime/verb.js";
import { DatapathDetach } from "../plugins/wire/verbs.js";
import { ignoreNotFound } from "../plugins/ceph/errors.js";
import { detachKrbd } from "./krbd.js";
import { stopNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export default defineVerb(DatapathDetach, async (p, ctx) => {
  const t = targetOf(p.uri, ctx.log);
  if (t.scheme === "rbd+nbd") await stopNbd(t);
  else await ignoreNotFound(detachKrbd(t));
  return null;
});
