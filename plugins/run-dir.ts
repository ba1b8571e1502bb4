// This host's run directory (tmpfs under systemd, so emptied at boot): GC pid files, datapath
// state, the bundles' code cache. CEPH_RBD_RUN_DIR moves it (tests and benchmarks use their own).
export const runDir = (): string => process.env.CEPH_RBD_RUN_DIR ?? "/run/ceph-rbd";
