// Fault injection for the crash and lease tests (test mode only, see test-mode.ts):
// CEPH_RBD_CRASH_AT=<op>:<step> kills this process with SIGKILL at that step boundary, as a host
// crash would; CEPH_RBD_PAUSE_AT=<op>:<step> stops it there (SIGSTOP) until a test resumes it
// (SIGCONT), as a host frozen past its lease would be. Elsewhere a no-op.
import { setting } from "./settings.js";

export function crashPoint(name: string): void {
  if (setting("crashAt") === name) process.kill(process.pid, "SIGKILL");
  if (setting("pauseAt") === name) process.kill(process.pid, "SIGSTOP");
}
