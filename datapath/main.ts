// The datapath plugins, one verb table per URI scheme (= install directory name).
import { runMain } from "../plugins/runtime/main.js";
import type { VerbTable } from "../plugins/runtime/verb.js";
import type { Scheme } from "../plugins/wire/volume-uri.js";

export const verbs: Record<Scheme, VerbTable> = {
  rbd: {
    "Plugin.Query": () => import("./verbs/query-rbd.js"),
  },
  "rbd+nbd": {
    "Plugin.Query": () => import("./verbs/query-nbd.js"),
  },
};

export const main = (scheme: Scheme, verb: string): Promise<void> => runMain(verbs[scheme], verb, process.argv.slice(2));
