// Teardown is idempotent and tolerant: deactivate and detach may come twice, with domain "",
// and the volume or the SR may be gone already (destroyed after a failed start): nothing to clear.
import { CephError } from "../plugins/ceph/errors.js";

export const tolerateGone = async (work: Promise<void>): Promise<void> => {
  try {
    await work;
  } catch (e) {
    if (!(e instanceof CephError && e.kind === "not_found")) throw e;
  }
};
