// The environment that runs the librados session through crashing-session.sh: it aborts the way
// Ceph's C++ libraries abort their process when asked `op`, `times` times; and how many times it did.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CRASHING = fileURLToPath(new URL("./crashing-session.sh", import.meta.url));

export function crashingOn(op: string, times = 1) {
  const marker = join(mkdtempSync(join(tmpdir(), "crash-")), "crashed");
  return {
    marker,
    env: {
      CEPH_RBD_PYTHON: CRASHING,
      CRASH_OP: op,
      CRASH_TIMES: String(times),
      CRASH_MARKER: marker,
      CEPH_RBD_LOG_STDERR: "warning",
      CEPH_RBD_LOG_SYSLOG: "off",
    },
    crashes: () => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean).length : 0),
  };
}
