// Plugin.Query of a datapath plugin; the directory name is the URI scheme it serves.
import { defineVerb } from "../plugins/runtime/verb.js";
import type { Scheme } from "../plugins/wire/volume-uri.js";
import { VERSION } from "../plugins/version.js";
import { PluginQuery } from "../plugins/wire/verbs.js";

const about: Record<Scheme, string> = {
  rbd: "Kernel RBD (rbd device map): the volume as a dom0 block device for blkback",
  "rbd+nbd": "Userspace NBD export of the RBD image, for hosts without kernel RBD",
};

export const queryVerb = (scheme: Scheme) =>
  defineVerb(
    PluginQuery,
    async () => ({
      plugin: scheme,
      name: `Ceph RBD datapath (${scheme})`,
      description: about[scheme],
      vendor: "xcp-ceph-rbd",
      copyright: "(C) the xcp-ceph-rbd authors",
      version: VERSION,
      required_api_version: "5.0" as const,
      features: [],
      configuration: {},
      required_cluster_stack: [],
    }),
    { quiet: true },
  );
