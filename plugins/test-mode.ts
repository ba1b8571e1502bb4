// Settings that only tests may use: they let one machine play several hosts, kill or freeze a
// process at a named step, or look for krbd's sysfs elsewhere (settings.ts marks them testOnly
// and applies the rule). A production host never sets CEPH_RBD_TEST_MODE=1
// (xapi-storage-script passes plugins no such variable), so none of them can change what a real
// host is or does there.
import { setting } from "./settings.js";

export const testMode = (): boolean => setting("testMode");
