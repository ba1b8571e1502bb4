// The datapath plugins, one verb table per URI scheme (= install directory name).
import { runMain } from "../plugins/runtime/main.js";
import type { VerbTable } from "../plugins/runtime/verb.js";
import type { Scheme } from "../plugins/wire/volume-uri.js";

const datapathVerbs = {
  "Datapath.attach": () => import("./attach.js"),
  "Datapath.activate": () => import("./activate.js"),
  "Datapath.deactivate": () => import("./deactivate.js"),
  "Datapath.detach": () => import("./detach.js"),
};

// Plugin.Query is the one verb whose answer depends on the scheme.
const query = (scheme: Scheme) => async () => ({ default: (await import("./query.js")).queryVerb(scheme) });

export const verbs: Record<Scheme, VerbTable> = {
  rbd: { "Plugin.Query": query("rbd"), ...datapathVerbs },
  "rbd+nbd": { "Plugin.Query": query("rbd+nbd"), ...datapathVerbs },
};

// Verbs whose handler makes no Ceph call for that scheme (an NBD export's socket is named from
// the URI; detach stops this host's export): their launchers start no librados session nor the
// session service ahead of them (runtime/early.ts; scripts/build.mjs reads this table).
export const cephless: Readonly<Record<Scheme, readonly string[]>> = { rbd: [], "rbd+nbd": ["Datapath.attach", "Datapath.detach"] };

export const main = (scheme: Scheme, verb: string): Promise<void> => runMain(verbs[scheme], verb, process.argv.slice(2));
