// Counts Ceph CLI calls in this process (for the per-verb log line and the benchmarks),
// in a module with no imports so that the runtime can read it without loading the gateway.
export const cephCalls = { count: 0, ms: 0 };
