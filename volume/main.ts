// The volume plugin org.xen.xapi.storage.ceph-rbd: its verb table, one lazy module per verb.
// A verb file exists in the install tree for exactly the names listed here.
import { runMain } from "../plugins/runtime/main.js";
import type { VerbTable } from "../plugins/runtime/verb.js";

export const verbs: VerbTable = {
  "Plugin.Query": () => import("./verbs/plugin/query.js"),
  "Plugin.diagnostics": () => import("./verbs/plugin/diagnostics.js"),
  "SR.create": () => import("./verbs/sr/create.js"),
  "SR.attach": () => import("./verbs/sr/attach.js"),
  "SR.detach": () => import("./verbs/sr/detach.js"),
  "SR.destroy": () => import("./verbs/sr/destroy.js"),
  "SR.stat": () => import("./verbs/sr/stat.js"),
  "SR.ls": () => import("./verbs/sr/ls.js"),
  "SR.probe": () => import("./verbs/sr/probe.js"),
  "SR.set_name": () => import("./verbs/sr/set-name.js"),
  "SR.set_description": () => import("./verbs/sr/set-description.js"),
  "Volume.create": () => import("./verbs/volume/create.js"),
  "Volume.stat": () => import("./verbs/volume/stat.js"),
  "Volume.set": () => import("./verbs/volume/set.js"),
  "Volume.unset": () => import("./verbs/volume/unset.js"),
  "Volume.set_name": () => import("./verbs/volume/set-name.js"),
  "Volume.set_description": () => import("./verbs/volume/set-description.js"),
  "Volume.resize": () => import("./verbs/volume/resize.js"),
  "Volume.snapshot": () => import("./verbs/volume/snapshot.js"),
  "Volume.clone": () => import("./verbs/volume/clone.js"),
  "Volume.destroy": () => import("./verbs/volume/destroy.js"),
  "Volume.revert": () => import("./verbs/volume/revert.js"),
};

export const main = (verb: string): Promise<void> => runMain(verbs, verb, process.argv.slice(2));
