// The release matrix's cells: Ceph clients (the plugin's Python helper and the Ceph CLIs, from a
// root of scripts/ceph-roots.sh or from this machine) against Ceph clusters (scripts/ceph-local.sh,
// on this machine or inside a root), and the suites each cell runs.

// null: this machine's own packages (Debian 12: Pacific 16.2).
export const CLIENTS = {
  nautilus: { root: "bullseye", label: "Nautilus 14.2 (Debian 11)" },
  pacific: { root: null, label: "Pacific 16.2 (Debian 12)" },
  reef: { root: "trixie", label: "Reef 18.2 (Debian 13)" },
};

// Debian trixie's Reef mgr cannot load rbd_support (ceph-releases.md): the cluster comes up
// without waiting for it, and the GC does its heavy work itself there.
export const CLUSTERS = {
  pacific: { root: null, label: "Pacific 16.2 (Debian 12)", env: {} },
  reef: { root: "trixie", label: "Reef 18.2 (Debian 13)", env: { CEPH_LOCAL_RBD_SUPPORT: "optional" } },
};

// Every volume scenario and the GC, fsck and admin commands. Not here: the datapath suites
// (their qemu-storage-daemon is the host's, not the client root's), the crash and fault suites
// (the product's own convergence, not the client's), packaging and hostile input (no Ceph
// release in play).
export const SUITES = [
  "plugin",
  "sr",
  "volume",
  "revert",
  "concurrency",
  "destroy-rules",
  "lease",
  "gc-reclaim",
  "gc-listing",
  "gc-worker",
  "fence",
  "fence-claim",
];

export const cellKey = (client, cluster) => `${client}:${cluster}`;
