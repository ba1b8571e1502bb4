// Datapath.attach, for both schemes: the URI's scheme picks kernel RBD (a mapped device) or NBD
// (the socket a later activate serves on).
import { defineVerb } from "../plugins/runtime/verb.js";
import { DatapathAttach } from "../plugins/wire/verbs.js";
import { attachKrbd } from "./krbd.js";
import { attachNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export default defineVerb(DatapathAttach, async (p, ctx) => {
  const t = targetOf(p.uri, ctx.log);
  return t.scheme === "rbd" ? attachKrbd(t) : attachNbd(t);
});
