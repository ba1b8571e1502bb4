// The GC worker: one pass at a time pool-wide, resuming after a crash, and its life with the SR
// (started by SR.attach, stopped by SR.detach).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { isRunning } from "../helpers/processes.js";
import { checksum } from "../helpers/rbd-data.js";
import { ADMIN, call, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";
import { collect, hasParent, diskWithSnapshot } from "../helpers/gc-run.js";

describe("one pass at a time, and recovery", () => {
  it("two workers (two hosts) and admin runs never run passes at once", async () => {
    const s = await makeSr();
    const trace = join(mkdtempSync(join(tmpdir(), "gc-trace-")), "passes");
    const env = { ...process.env, CEPH_RBD_GC_TRACE: trace, CEPH_RBD_GC_INTERVAL: "0.3", CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_LOG_STDERR: "off" };
    const workers = [0, 1].map(() => spawn(ADMIN, ["gc", "worker", "--sr", s.sr], { env, stdio: "ignore" }));
    try {
      for (let i = 0; i < 3; i++) {
        const { v } = await diskWithSnapshot(s, 0x60 + i, 0x70 + i, 4);
        await call("Volume.destroy", { sr: s.sr, key: v.key });
        await Promise.all([runAdmin(["gc", "run", "--sr", s.sr, "--no-wait"], { CEPH_RBD_GC_TRACE: trace }), sleep(500)]);
      }
    } finally {
      for (const w of workers) w.kill("SIGTERM");
    }
    await sleep(1000);
    const events = readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    const passes = events.filter((e) => e[0] === "start").length;
    expect(passes).toBeGreaterThanOrEqual(5);
    expect(new Set(events.map((e) => e[1])).size).toBeGreaterThanOrEqual(2);
    // In time order, every start follows the end of the pass before it.
    const sorted = [...events].sort((a, b) => Number(a[2]) - Number(b[2]) || (a[0] === "end" ? -1 : 1));
    let open = 0;
    for (const [what] of sorted) {
      open += what === "start" ? 1 : -1;
      expect(open).toBeLessThanOrEqual(1);
    }
  }, 300_000);

  it("a GC killed mid-flatten (doing the work itself, without the mgr) resumes and finishes", async () => {
    const s = await makeSr();
    const { v, snap, sum } = await diskWithSnapshot(s, 0x81, 0x82, 128);
    await call("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
    await call("Volume.destroy", { sr: s.sr, key: snap.key });
    // A lease a loaded machine renews in time; the kill's lock lapses with it.
    const env = { CEPH_RBD_GC_MGR: "off", CEPH_RBD_GC_LEASE: "6" };
    const first = spawn(ADMIN, ["gc", "run", "--sr", s.sr], { env: { ...process.env, ...env, CEPH_RBD_LOG_SYSLOG: "off" }, stdio: "ignore" });
    await sleep(2500);
    first.kill("SIGKILL");
    await sleep(6500);
    await collect(s, env);
    const now = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
    expect(hasParent(s, now)).toBe(false);
    expect(await checksum(now.uri[0] ?? "")).toBe(sum);
  });
});

describe("the worker's life", () => {
  // The run directory also holds the launchers' code cache: the workers are the pid files.
  const pidFiles = (run: string) => readdirSync(run).filter((f) => f.endsWith(".pid"));
  // The pid a worker's pid file names (its first line).
  const pidIn = (run: string, file: string) => Number(readFileSync(join(run, file), "utf8").split("\n")[0]);
  // A worker that only exists proves nothing: it must make passes (its first at once).
  const passMadeBy = async (s: TestSr, pid: number) => {
    let last: { pid?: number } | undefined;
    for (const until = Date.now() + 60_000; last?.pid !== pid && Date.now() < until; await sleep(500)) {
      last = ((await runAdmin(["gc", "status", "--sr", s.sr, "--json"])).json as { last?: { pid?: number } } | undefined)?.last;
    }
    return last?.pid;
  };

  it("SR.attach starts one worker per host and SR.detach stops it", async () => {
    const s = await makeSr();
    const run = mkdtempSync(join(tmpdir(), "gc-run-"));
    const env = { CEPH_RBD_GC: "on", CEPH_RBD_RUN_DIR: run };
    await call("SR.attach", { configuration: s.config }, env);
    await call("SR.attach", { configuration: s.config }, env);
    const files = pidFiles(run);
    expect(files).toHaveLength(1);
    const pid = pidIn(run, files[0] ?? "");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toMatch(/gc\0worker/);
    expect(await passMadeBy(s, pid), "the worker's pass recorded in gc:status").toBe(pid);
    expect(isRunning(pid)).toBe(true);
    await call("SR.detach", { sr: s.sr }, env);
    expect(isRunning(pid)).toBe(false);
    expect(pidFiles(run)).toEqual([]);
  });

  // After a crash the worker's pid may go to another process: one whose arguments even say
  // "worker" is still a stranger. SR.attach starts a real worker, SR.detach signals only it.
  it("a pid file naming another process: SR.attach starts a worker anyway, SR.detach leaves that process alone", async () => {
    const s = await makeSr();
    const run = mkdtempSync(join(tmpdir(), "gc-run-"));
    const env = { CEPH_RBD_GC: "on", CEPH_RBD_RUN_DIR: run };
    await call("SR.attach", { configuration: s.config }, env);
    const [file] = pidFiles(run);
    await call("SR.detach", { sr: s.sr }, env);
    // Its own process group, as a worker's would be; `worker` in its arguments.
    const stranger = spawn("sleep", ["300"], { argv0: "gc-worker", detached: true, stdio: "ignore" });
    try {
      const pid = stranger.pid ?? 0;
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("worker");
      // What a crashed worker's file says once its pid is reused.
      writeFileSync(join(run, file ?? ""), `${pid}\n`, { mode: 0o600 });
      await call("SR.attach", { configuration: s.config }, env);
      const worker = pidIn(run, file ?? "");
      expect(worker, "a worker of its own").not.toBe(pid);
      expect(readFileSync(`/proc/${worker}/cmdline`, "utf8")).toMatch(/gc\0worker/);
      expect(await passMadeBy(s, worker), "the new worker's pass recorded in gc:status").toBe(worker);
      await call("SR.detach", { sr: s.sr }, env);
      expect(isRunning(worker)).toBe(false);
      expect(isRunning(pid), "the stranger was signalled").toBe(true);
      expect(pidFiles(run)).toEqual([]);
    } finally {
      stranger.kill("SIGKILL");
    }
  });
});
