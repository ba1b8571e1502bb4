// The per-host session service under test: a run directory of the test's own (so the service is
// the test's alone), the processes serving it, and what a verb's log says it used.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning, processes } from "./processes.js";
import type { VerbRun } from "./run-verb.js";

export const serviceRunDir = (): string => mkdtempSync(join(tmpdir(), "svc-run-"));
export const socketOf = (run: string): string => join(run, "session-service", "socket");
export const pidFileOf = (run: string): string => join(run, "session-service", "service.pid");
// The verbs' environment: the service on (whatever the suite's default), in this run directory.
export const serviceEnv = (run: string, more: Record<string, string> = {}): Record<string, string> => ({
  CEPH_RBD_RUN_DIR: run,
  CEPH_RBD_SERVICE: "on",
  ...more,
});

// The live services of this run directory.
export const servicesOf = (run: string): number[] =>
  processes()
    .filter((p) => p.argv.some((a) => a.endsWith("ceph-session-service.py")) && p.argv.includes(socketOf(run)) && isRunning(p.pid))
    .map((p) => p.pid);

export const servedByService = (r: VerbRun): boolean => r.stderr.includes("librados session: the session service");
export const fallbackWarnings = (r: VerbRun): string[] => r.stderr.split("\n").filter((l) => l.includes("session service unusable"));
export const recordedPid = (run: string): number => Number(readFileSync(pidFileOf(run), "utf8").split("\n")[0]);

export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(50)) if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
}

export function stopServices(runs: readonly string[]): void {
  for (const run of runs) for (const pid of servicesOf(run)) process.kill(pid, "SIGKILL");
}

// The advisory locks held on the SR's metadata object, by name (a lock whose lockers are all
// gone may still be listed, with none).
export function srLocks(s: { conf: string; pool: string; namespace: string }): string[] {
  const rados = (args: string[]) =>
    JSON.parse(
      execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, "lock", ...args, "--format", "json"], { encoding: "utf8" }),
    ) as unknown;
  const names = (rados(["list", "ceph_rbd_sr"]) as { locks: { name: string }[] }).locks.map((l) => l.name);
  return names.filter((n) => (rados(["info", "ceph_rbd_sr", n]) as { lockers: unknown[] }).lockers.length > 0);
}
