// The volume plugin org.xen.xapi.storage.ceph-rbd: its verb table, one lazy module per verb.
// A verb file exists in the install tree for exactly the names listed here.
import { runMain } from "../plugins/runtime/main.js";
import type { VerbTable } from "../plugins/runtime/verb.js";

export const verbs: VerbTable = {
  "Plugin.Query": () => import("./plugin/query.js"),
  "Plugin.diagnostics": () => import("./plugin/diagnostics.js"),
  "SR.create": () => import("./sr/create.js"),
  "SR.attach": () => import("./sr/attach.js"),
  "SR.detach": () => import("./sr/detach.js"),
  "SR.destroy": () => import("./sr/destroy.js"),
  "SR.stat": () => import("./sr/stat.js"),
  "SR.ls": () => import("./sr/ls.js"),
  "SR.probe": () => import("./sr/probe.js"),
  "SR.set_name": () => import("./sr/set-name.js"),
  "SR.set_description": () => import("./sr/set-description.js"),
  "Volume.create": () => import("./volume/create.js"),
  "Volume.stat": () => import("./volume/stat.js"),
  "Volume.set": () => import("./volume/set.js"),
  "Volume.unset": () => import("./volume/unset.js"),
  "Volume.set_name": () => import("./volume/set-name.js"),
  "Volume.set_description": () => import("./volume/set-description.js"),
  "Volume.resize": () => import("./volume/resize.js"),
  "Volume.snapshot": () => import("./volume/snapshot.js"),
  "Volume.clone": () => import("./volume/clone.js"),
  "Volume.destroy": () => import("./volume/destroy.js"),
  "Volume.revert": () => import("./volume/revert.js"),
  "Volume.enable_cbt": () => import("./volume/enable-cbt.js"),
  "Volume.disable_cbt": () => import("./volume/disable-cbt.js"),
  "Volume.data_destroy": () => import("./volume/data-destroy.js"),
  "Volume.list_changed_blocks": () => import("./volume/list-changed-blocks.js"),
};

export const main = (verb: string): Promise<void> => runMain(verbs, verb, process.argv.slice(2));
