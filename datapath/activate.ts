// Datapath.activate: claims the volume for this host (activation.ts), then starts its server.
import { defineVerb } from "../plugins/runtime/verb.js";
import { DatapathActivate } from "../plugins/wire/verbs.js";
import { activate } from "./activation.js";
import { krbdClients } from "./krbd.js";
import { startNbd, stopNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export default defineVerb(DatapathActivate, async (p, ctx) => {
  const t = targetOf(p.uri, ctx.log);
  // A kernel mapping belongs to attach and detach: a failed activate leaves it.
  const dp =
    t.scheme === "rbd"
      ? { start: () => krbdClients(t), stop: async () => undefined }
      : { start: (recorded: readonly string[]) => startNbd(t, recorded), stop: () => stopNbd(t) };
  await activate(t, p.domain, dp);
  return null;
});
