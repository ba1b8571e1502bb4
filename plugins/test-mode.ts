// Settings that only tests may use: they let one machine play several hosts, kill or freeze a
// process at a named step, or shorten leases. A production host never sets
// CEPH_RBD_TEST_MODE=1 (xapi-storage-script passes plugins no such variable), so none of them can
// change what a real host is or does there.
export const testMode = (): boolean => process.env.CEPH_RBD_TEST_MODE === "1";

// The value of a test-only setting, or undefined outside test mode.
export const testSetting = (name: string): string | undefined => (testMode() ? process.env[name] : undefined);
