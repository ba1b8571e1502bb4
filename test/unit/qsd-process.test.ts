// Which process the rbd+nbd datapath may signal: only its own qemu-storage-daemon, known by its
// exact arguments, its owner and its start before the pid file was written. After a crash the
// pid file may name a reused pid: that process is left alone.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { exportPid, stopExport, type Export } from "../../plugins/ceph/qsd.js";
import type { Logger } from "../../plugins/log.js";
import { isAlive as alive } from "../../plugins/process.js";

const log: Logger = { debug: () => undefined, info: () => undefined, warning: () => undefined, error: () => undefined, flush: () => undefined };
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill("SIGKILL");
});

function exportIn(): Export {
  const dir = mkdtempSync(join(tmpdir(), "qsd-pid-"));
  return { socket: join(dir, "x.sock"), pidFile: join(dir, "x.pid"), conf: join(dir, "x.conf"), name: "k" };
}

// A live process whose command line is what the test says (argv[0] included).
async function processWith(argv0: string, args: string[]): Promise<number> {
  const c = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "--", ...args], { argv0, stdio: "ignore" });
  started.push(c);
  await sleep(100);
  if (c.pid === undefined) throw new Error("no process");
  return c.pid;
}

const serverArgs = (e: Export) => ["--nbd-server", `addr.type=unix,addr.path=${e.socket}`];

describe("the export's process", () => {
  it("is not an unrelated process whose command line merely contains the socket path", async () => {
    const e = exportIn();
    const pid = await processWith("sleep", ["300", e.socket]);
    writeFileSync(e.pidFile, `${pid}\n`);
    expect(exportPid(e)).toBeUndefined();
    await stopExport(e, log, 200);
    expect(alive(pid)).toBe(true);
  });

  it("is not a process that started after the pid file was written (a reused pid), however alike", async () => {
    const e = exportIn();
    const pid = await processWith("qemu-storage-daemon", serverArgs(e));
    writeFileSync(e.pidFile, `${pid}\n`);
    // The same process and pid file, the file now older than the process: recognised, then not.
    expect(exportPid(e)).toBe(pid);
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(e.pidFile, past, past);
    expect(exportPid(e)).toBeUndefined();
    await stopExport(e, log, 200);
    expect(alive(pid)).toBe(true);
  });

  it("is not a qemu-storage-daemon serving another socket, nor one named through a linked pid file", async () => {
    const e = exportIn();
    const other = await processWith("qemu-storage-daemon", ["--nbd-server", `addr.type=unix,addr.path=${e.socket}.other`, e.socket]);
    writeFileSync(e.pidFile, `${other}\n`);
    expect(exportPid(e)).toBeUndefined();
    const mine = await processWith("qemu-storage-daemon", serverArgs(e));
    const real = `${e.pidFile}.real`;
    writeFileSync(real, `${mine}\n`);
    const linked = { ...e, pidFile: `${e.pidFile}.link` };
    symlinkSync(real, linked.pidFile);
    expect(exportPid(linked)).toBeUndefined();
    expect(exportPid({ ...e, pidFile: real })).toBe(mine);
  });

  it("is stopped when it is the export's own", async () => {
    const e = exportIn();
    const pid = await processWith("qemu-storage-daemon", serverArgs(e));
    writeFileSync(e.pidFile, `${pid}\n`);
    await stopExport(e, log, 2000);
    await sleep(100);
    expect(alive(pid)).toBe(false);
  });
});
