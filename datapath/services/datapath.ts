// The four Datapath verbs, for both schemes: the URI's scheme picks kernel RBD or NBD.
// Teardown is idempotent and tolerant: deactivate and detach may come twice, with domain "",
// and detach of a volume that no longer exists succeeds.
import { ignoreNotFound } from "../../plugins/ceph/errors.js";
import type { Context } from "../../plugins/runtime/verb.js";
import type { Backend } from "../../plugins/wire/records.js";
import { activate, deactivate } from "./activation.js";
import { attachKrbd, detachKrbd, krbdClients } from "./krbd.js";
import { attachNbd, startNbd, stopNbd } from "./nbd.js";
import { targetOf } from "./target.js";

export const attachVerb = async (ctx: Context, p: { uri: string }): Promise<Backend> => {
  const t = targetOf(p.uri, ctx.log);
  return t.scheme === "rbd" ? attachKrbd(t) : attachNbd(t);
};

export const activateVerb = async (ctx: Context, p: { uri: string; domain: string }): Promise<null> => {
  const t = targetOf(p.uri, ctx.log);
  // A kernel mapping belongs to attach and detach: a failed activate leaves it.
  const dp = t.scheme === "rbd" ? { start: () => krbdClients(t), stop: async () => undefined } : { start: (recorded: readonly string[]) => startNbd(t, recorded), stop: () => stopNbd(t) };
  await activate(t, p.domain, dp);
  return null;
};

export const deactivateVerb = async (ctx: Context, p: { uri: string }): Promise<null> => {
  const t = targetOf(p.uri, ctx.log);
  if (t.scheme === "rbd+nbd") await stopNbd(t);
  // The volume or the SR may be gone already (destroyed after a failed start): nothing to clear.
  await ignoreNotFound(deactivate(t));
  return null;
};

export const detachVerb = async (ctx: Context, p: { uri: string }): Promise<null> => {
  const t = targetOf(p.uri, ctx.log);
  if (t.scheme === "rbd+nbd") await stopNbd(t);
  else await ignoreNotFound(detachKrbd(t));
  return null;
};
