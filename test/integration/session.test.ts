// The librados session (plugins/ceph/session.ts and ceph-session.py): it ends with the verb
// that started it, it releases the verb's lock itself, a session that cannot start is a clear
// error at once, never a hang, and a GC worker holds none between its passes.
import { execFileSync, spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { descendantsOf, isRunning, waitForChild } from "../helpers/processes.js";
import { ADMIN, call, runVerb, type WireError } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;

let s: TestSr;
let vol: WireVolume;

beforeAll(async () => {
  s = await makeSr();
  vol = await call<WireVolume>("Volume.create", { sr: s.sr, name: "session", description: "", size: 4 * MiB, sharable: false });
});

const lockers = (lock: string) =>
  (JSON.parse(execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, "lock", "info", "ceph_rbd_sr", lock, "--format", "json"], { encoding: "utf8" })) as { lockers: unknown[] }).lockers;

describe("the librados session", () => {
  it("runs beside the verb and ends with it", async () => {
    const run = runVerb("Volume.snapshot", { dbg: "session", sr: s.sr, key: vol.key });
    const python = await waitForChild(/ceph-session\.py/, 10_000);
    const r = await run;
    expect(r.code, r.stdout).toBe(0);
    expect(python, "no ceph-session.py process seen while the verb ran").toBeDefined();
    const until = Date.now() + 5000;
    while (isRunning(python?.pid ?? 0) && Date.now() < until) await new Promise((ok) => setTimeout(ok, 50));
    expect(isRunning(python?.pid ?? 0), "the session outlived its verb").toBe(false);
  });

  it("releases the verb's lock (no locker left on the SR's object)", async () => {
    await call("Volume.set", { sr: s.sr, key: vol.key, k: "a", v: "1" });
    expect(lockers(`vol:${vol.key}`)).toEqual([]);
    // And the next verb on the same volume takes the lock at once.
    const started = Date.now();
    await call("Volume.unset", { sr: s.sr, key: vol.key, k: "a" });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(lockers(`vol:${vol.key}`)).toEqual([]);
  });

  it("that cannot start (no Python there) fails the verb with a clear Ceph_error, changing nothing", async () => {
    const before = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    const r = await runVerb("Volume.set_name", { dbg: "session", sr: s.sr, key: vol.key, new_name: "never" }, { CEPH_RBD_PYTHON: "/nonexistent/python3" });
    expect(r.code).not.toBe(0);
    const e = r.json as WireError;
    expect(e.code).toBe("SR_BACKEND_FAILURE");
    expect(e.params[0]).toBe("Ceph_error");
    expect(e.params[1]).toMatch(/librados session ended: cannot start \/nonexistent\/python3/);
    expect(await call<WireVolume[]>("SR.ls", { sr: s.sr })).toEqual(before);
  });

  it("is not kept by an idle GC worker: one during its pass, none until the next", async () => {
    const worker = spawn(ADMIN, ["gc", "worker", "--sr", s.sr], {
      env: { ...process.env, CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_LOG_STDERR: "warning", CEPH_RBD_GC_INTERVAL: "4" },
      stdio: "ignore",
    });
    try {
      const session = () => descendantsOf(process.pid).find((p) => p.ppid === worker.pid && /ceph-session\.py/.test(p.argv.join(" ")));
      let had = false;
      let idleWithout = false;
      for (const until = Date.now() + 30_000; Date.now() < until && !idleWithout; await new Promise((ok) => setTimeout(ok, 50))) {
        expect(isRunning(worker.pid ?? 0), "the worker died").toBe(true);
        if (session()) had = true;
        else if (had) idleWithout = true;
      }
      expect(had, "the worker never started a session").toBe(true);
      expect(idleWithout, "the worker kept its session after its pass").toBe(true);
    } finally {
      worker.kill("SIGTERM");
    }
  });
});
