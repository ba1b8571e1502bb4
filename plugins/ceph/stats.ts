// Counts Ceph calls in this process, and those of them that started a CLI process (for the
// per-verb log line and the benchmarks), in a module with no imports so that the runtime can
// read it without loading the gateway.
// omapEntries: metadata entries read, what a per-volume verb keeps independent of the SR's size.
export const cephCalls = { count: 0, cli: 0, ms: 0, omapEntries: 0 };
