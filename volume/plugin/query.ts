import { defineVerb } from "../../plugins/runtime/verb.js";
import { VERSION } from "../../plugins/version.js";
import { PluginQuery } from "../../plugins/wire/verbs.js";
import { CONFIG_KEYS } from "../sr/config.js";

// xapi-storage-script adds a feature for each verb file present; these it cannot infer.
// VDI_RESIZE_ONLINE lets xapi resize a disk of a running VM (xapi_vdi.ml, check_sm_feature_error):
// kernel RBD carries it; an rbd+nbd volume refuses it with VDIInUse where it cannot (resize-online.ts).
const FEATURES = ["THIN_PROVISIONING", "LARGE_VDI", "VDI_REVERT", "VDI_CONFIG_CBT", "VDI_RESIZE_ONLINE"];

export default defineVerb(
  PluginQuery,
  async () => ({
    plugin: "ceph-rbd",
    name: "Ceph RBD volume plugin",
    description: "Volumes as RBD images in a namespace of a Ceph pool, with native snapshots and clones",
    vendor: "xcp-ceph-rbd",
    copyright: "(C) the xcp-ceph-rbd authors",
    version: VERSION,
    required_api_version: "5.0" as const,
    features: FEATURES,
    configuration: CONFIG_KEYS,
    required_cluster_stack: [],
  }),
  { quiet: true },
);
