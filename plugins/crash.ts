// Fault injection for the crash tests:
// CEPH_RBD_CRASH_AT=<op>:<step> kills this process with SIGKILL at that step boundary, as a host
// crash would. Unset in production: then a no-op.
export function crashPoint(name: string): void {
  const at = process.env.CEPH_RBD_CRASH_AT;
  if (at !== undefined && at === name) process.kill(process.pid, "SIGKILL");
}
