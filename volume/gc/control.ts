// Starting and stopping this host's GC worker for an SR (SR.attach starts it, SR.detach stops
// it). The worker is the admin command's `gc worker`, detached from the verb's process; a pid
// file per SR in the private run directory finds it again, and names it exactly (pid, start
// time, arguments: pid-file.ts), so that a pid reused by another process after a crash is
// neither signalled nor taken for a running worker. CEPH_RBD_GC=off disables the start.
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "../../plugins/log.js";
import { identityOf, recordedProcess, writePidFile } from "../../plugins/pid-file.js";
import { signal, waitGone } from "../../plugins/process.js";
import { privateRunDir } from "../../plugins/run-dir.js";
import { startDetached } from "../../plugins/runtime/child.js";
import { setting } from "../../plugins/settings.js";
import type { SrPlace } from "../sr/sr-place.js";

const pidFile = (place: SrPlace) =>
  join(privateRunDir(), `gc-${createHash("sha256").update(`${place.pool}/${place.namespace}`).digest("hex").slice(0, 16)}.pid`);

// The admin bundle sits beside the plugin bundles (dist/install/lib/ in a checkout, or the package's libexec).
declare const __dirname: string | undefined;
const adminBundle = () => join(typeof __dirname === "string" ? __dirname : dirname(process.argv[1] ?? "."), "admin.cjs");

// V8's young generation grows to 3 x 16 MiB by default: a worker that lists a 1000-volume SR
// every pass would peak near 120 MiB for garbage alone; with 1 MiB semi-spaces it peaks under
// 90 MiB (measured), for a few more scavenges. --optimize-for-size makes V8 grow the old
// generation less eagerly: a pass over 10,000 volumes peaked at 115–130 MiB with it, 147–259
// without (`gc run`, side by side, same SR), in about the same time. The systemd unit sets the
// first in NODE_OPTIONS, which does not take the second. The admin's bundle exports them for the
// bench (scripts/bench/gc-memory.mjs), which starts its workers the same way.
export const WORKER_NODE_FLAGS = ["--max-semi-space-size=1", "--optimize-for-size"];

export async function startWorker(place: SrPlace, sr: string, log: Logger): Promise<void> {
  if (setting("gc") === "off") return;
  try {
    const file = pidFile(place);
    if (recordedProcess(file) !== undefined) return;
    const argv = [process.execPath, ...WORKER_NODE_FLAGS, adminBundle(), "gc", "worker", "--sr", sr];
    const pid = await startDetached(argv[0] as string, argv.slice(1));
    // The start time is the fork's; the arguments are those it was given.
    const start = pid === undefined ? undefined : identityOf(pid)?.start;
    if (pid === undefined || start === undefined) throw new Error("the worker ended at once");
    writePidFile(file, { pid, start, argv });
    log.info(`started the gc worker (pid ${pid}) for ${place.pool}/${place.namespace}`);
  } catch (e) {
    // The SR works without its GC; garbage waits for the next attach or an admin's `gc run`.
    log.warning(`could not start the gc worker: ${(e as Error).message}`);
  }
}

// A pass in progress gets the grace period to end on its own; then the worker's whole process
// group (it may have an `rbd flatten` running locally) is killed. Killing is safe: every GC step
// is journaled or idempotent, and its lease runs out. SR.detach returns once the worker is gone,
// so a detach followed by an attach elsewhere never overlaps two workers of this host.
const stopGraceMs = () => setting("gcStopGrace");

const running = (file: string) => () => recordedProcess(file) !== undefined;

export async function stopWorker(place: SrPlace, log: Logger): Promise<void> {
  let file: string;
  try {
    file = pidFile(place);
  } catch (e) {
    // A pid file found there could name anything: nothing is signalled.
    log.warning(`not stopping the gc worker: ${(e as Error).message}`);
    return;
  }
  const pid = recordedProcess(file);
  if (pid !== undefined) {
    signal(pid, "SIGTERM");
    if (!(await waitGone(running(file), stopGraceMs()))) {
      log.warning(`the gc worker (pid ${pid}) did not stop within ${stopGraceMs()} ms: killing it`);
      // Its process group: the worker was started detached, so the group is its own.
      signal(-pid, "SIGKILL");
      await waitGone(running(file), 2000);
    }
    log.info(`stopped the gc worker (pid ${pid}) for ${place.pool}/${place.namespace}`);
  }
  rmSync(file, { force: true });
}
