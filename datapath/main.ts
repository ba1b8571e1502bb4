// The datapath plugins, one verb table per URI scheme (= install directory name).
import { runMain } from "../plugins/runtime/main.js";
import type { VerbTable } from "../plugins/runtime/verb.js";
import type { Scheme } from "../plugins/wire/volume-uri.js";

const datapathVerbs = {
  "Datapath.attach": () => import("./verbs/attach.js"),
  "Datapath.activate": () => import("./verbs/activate.js"),
  "Datapath.deactivate": () => import("./verbs/deactivate.js"),
  "Datapath.detach": () => import("./verbs/detach.js"),
};

export const verbs: Record<Scheme, VerbTable> = {
  rbd: { "Plugin.Query": () => import("./verbs/query-rbd.js"), ...datapathVerbs },
  "rbd+nbd": { "Plugin.Query": () => import("./verbs/query-nbd.js"), ...datapathVerbs },
};

export const main = (scheme: Scheme, verb: string): Promise<void> => runMain(verbs[scheme], verb, process.argv.slice(2));
