// Starting and stopping this host's GC worker for an SR (SR.attach starts it, SR.detach stops
// it). The worker is the admin command's `gc worker`, detached from the verb's process; a pid
// file per SR under the run directory finds it again. CEPH_RBD_GC=off disables the start.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Logger } from "../../plugins/log.js";
import { runDir } from "../../plugins/run-dir.js";
import type { SrRef } from "../services/sr-ref.js";

const pidFile = (ref: SrRef) => join(runDir(), `gc-${createHash("sha256").update(`${ref.pool}/${ref.namespace}`).digest("hex").slice(0, 16)}.pid`);

// The admin bundle sits beside the plugin bundles (plugins/lib/, or the package's libexec).
declare const __dirname: string | undefined;
const adminBundle = () => join(typeof __dirname === "string" ? __dirname : dirname(process.argv[1] ?? "."), "admin.cjs");

// V8's young generation grows to 3 x 16 MiB by default: a worker that lists a 1000-volume SR
// every pass would peak near 120 MiB for garbage alone; with 1 MiB semi-spaces it peaks under
// 90 MiB (measured), for a few more scavenges. The systemd unit sets the same in NODE_OPTIONS.
const WORKER_NODE_FLAGS = ["--max-semi-space-size=1"];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker");
  } catch {
    return false;
  }
};

const runningPid = (ref: SrRef): number | undefined => {
  try {
    const pid = Number(readFileSync(pidFile(ref), "utf8").trim());
    return Number.isInteger(pid) && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
};

export function startWorker(ref: SrRef, sr: string, log: Logger): void {
  if (process.env.CEPH_RBD_GC === "off" || runningPid(ref) !== undefined) return;
  try {
    mkdirSync(runDir(), { recursive: true });
    const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, adminBundle(), "gc", "worker", "--sr", sr], { detached: true, stdio: "ignore" });
    child.unref();
    if (child.pid) writeFileSync(pidFile(ref), `${child.pid}\n`);
    log.info(`started the gc worker (pid ${child.pid}) for ${ref.pool}/${ref.namespace}`);
  } catch (e) {
    // The SR works without its GC; garbage waits for the next attach or an admin's `gc run`.
    log.warning(`could not start the gc worker: ${(e as Error).message}`);
  }
}

// A pass in progress gets the grace period to end on its own; then the worker's whole process
// group (it may have an `rbd flatten` running locally) is killed. Killing is safe: every GC step
// is journaled or idempotent, and its lease runs out. SR.detach returns once the worker is gone,
// so a detach followed by an attach elsewhere never overlaps two workers of this host.
const stopGraceMs = () => Number(process.env.CEPH_RBD_GC_STOP_GRACE_MS ?? 5000);

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

// The worker may exit between the look and the signal: a process already gone is stopped.
const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
};

export async function stopWorker(ref: SrRef, log: Logger): Promise<void> {
  const pid = runningPid(ref);
  if (pid !== undefined) {
    signal(pid, "SIGTERM");
    if (!(await waitGone(pid, stopGraceMs()))) {
      log.warning(`the gc worker (pid ${pid}) did not stop within ${stopGraceMs()} ms: killing it`);
      // Its process group: the worker was started detached, so the group is its own.
      signal(-pid, "SIGKILL");
      await waitGone(pid, 2000);
    }
    log.info(`stopped the gc worker (pid ${pid}) for ${ref.pool}/${ref.namespace}`);
  }
  rmSync(pidFile(ref), { force: true });
}
