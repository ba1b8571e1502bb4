// The librados session (plugins/ceph/session.ts and ceph-session.py): it ends with the verb
// that started it, it releases the verb's lock itself, a session that cannot start is a clear
// error at once, never a hang, and a GC worker holds none between its passes.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { crashingOn } from "../helpers/crashing-session.js";
import { descendantsOf, isRunning, waitForChild } from "../helpers/processes.js";
import { ADMIN, call, LIB_DIR, runAdmin, runVerb, type WireError } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
// These are the verb's own session's tests (what a verb falls back to): the per-host session
// service is off for every verb here (test/integration/service*.test.ts test the service).
process.env.CEPH_RBD_SERVICE = "off";
const NO_UTF8_MODE = fileURLToPath(new URL("../helpers/python-no-utf8-mode.sh", import.meta.url));
const STRAY = fileURLToPath(new URL("../helpers/stray-answers-session.sh", import.meta.url));

let s: TestSr;
let vol: WireVolume;

beforeAll(async () => {
  s = await makeSr();
  vol = await call<WireVolume>("Volume.create", { sr: s.sr, name: "session", description: "", size: 4 * MiB, sharable: false });
});

const lockers = (lock: string) =>
  (
    JSON.parse(
      execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, "lock", "info", "ceph_rbd_sr", lock, "--format", "json"], {
        encoding: "utf8",
      }),
    ) as { lockers: unknown[] }
  ).lockers;

describe("the librados session", () => {
  it("imports its modules from the bytecode the build compiled for its Python, none from source", () => {
    // As the session starts (session-process.ts: -E -S, the modules beside it), verbosely.
    const modules = ["ceph_rbd_session_connect", "ceph_rbd_session_ops", "ceph_rbd_service_clients", "ceph_rbd_service_conn"];
    const r = spawnSync(
      "/usr/bin/python3",
      ["-E", "-S", "-v", "-c", `import sys; sys.path.insert(0, ${JSON.stringify(LIB_DIR)}); import ${modules.join(", ")}`],
      {
        encoding: "utf8",
      },
    );
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const fromSource = r.stderr.split("\n").filter((l) => l.startsWith(`# code object from ${LIB_DIR}/`));
    expect(fromSource).toEqual([]);
    for (const m of modules) expect(r.stderr).toContain(`matches ${LIB_DIR}/${m}.py`);
  });

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

  it("that dies under a read is replaced, and the read asked again: the command answers, the log says why", async () => {
    const crash = crashingOn("trash_list");
    const r = await runAdmin(["gc", "status", "--sr", s.sr, "--json"], crash.env);
    expect(existsSync(crash.marker), "the session never listed the trash").toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ pending: [] });
    expect(r.stderr).toMatch(
      /trash ls --all --long .*librados session ended: terminate called after throwing an instance of 'std::system_error'.*; asking a new session/,
    );
  });

  // Monitor and mgr commands read, or queue an rbd_support task the mgr de-duplicates: a crash
  // under one is asked again, as under a read (a GC pass failed for it under a mixed load).
  it("that dies under a monitor or mgr command is replaced, and the command sent again", async () => {
    const crash = crashingOn("command");
    const r = await runVerb("SR.stat", { dbg: "session", sr: s.sr }, crash.env);
    expect(existsSync(crash.marker), "the session never sent a command").toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /ceph (df|health).*librados session ended: terminate called after throwing an instance of 'std::system_error'.*; asking a new session/,
    );
  });

  it("that dies under a write fails the verb with the crash's message, repeating nothing, and the next verb works", async () => {
    const mine = await call<WireVolume>("Volume.create", { sr: s.sr, name: "crash", description: "", size: 4 * MiB, sharable: false });
    const before = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    const crash = crashingOn("omap_update");
    const r = await runVerb("Volume.set_name", { dbg: "session", sr: s.sr, key: mine.key, new_name: "never" }, { ...crash.env, CEPH_RBD_LOCK_LEASE: "1" });
    expect(existsSync(crash.marker), "the session never wrote").toBe(true);
    expect(r.code).not.toBe(0);
    const e = r.json as WireError;
    expect(e.params[0]).toBe("Ceph_error");
    expect(e.params[1]).toMatch(/librados session ended: terminate called after throwing an instance of 'std::system_error'/);
    // A second session would have written (the marker is there): the write was not repeated.
    expect(await call<WireVolume[]>("SR.ls", { sr: s.sr })).toEqual(before);
    await call("Volume.set_name", { sr: s.sr, key: mine.key, new_name: "renamed" });
    expect((await call<WireVolume>("Volume.stat", { sr: s.sr, key: mine.key })).name).toBe("renamed");
  });

  it("carries names in any language on a Python without UTF-8 mode (XCP-ng 8.3's 3.6), under LC_ALL=C", async () => {
    const env = { CEPH_RBD_PYTHON: NO_UTF8_MODE };
    const made = await call<WireVolume>("Volume.create", { sr: s.sr, name: "disque-é", description: "磁盘 — описание", size: 4 * MiB, sharable: false }, env);
    expect([made.name, made.description]).toEqual(["disque-é", "磁盘 — описание"]);
    const stat = await call<WireVolume>("Volume.stat", { sr: s.sr, key: made.key }, env);
    expect([stat.name, stat.description]).toEqual(["disque-é", "磁盘 — описание"]);
    await call("Volume.set_name", { sr: s.sr, key: made.key, new_name: "磁盘" }, env);
    const listed = (await call<WireVolume[]>("SR.ls", { sr: s.sr }, env)).find((v) => v.key === made.key);
    expect([listed?.name, listed?.description]).toEqual(["磁盘", "磁盘 — описание"]);
  });

  it("whose answer pipe carries lines that are no answers still answers the verb", async () => {
    const stat = await call<WireVolume>("Volume.stat", { sr: s.sr, key: vol.key }, { CEPH_RBD_PYTHON: STRAY });
    expect(stat.key).toBe(vol.key);
    await call("Volume.set_name", { sr: s.sr, key: vol.key, new_name: "still" }, { CEPH_RBD_PYTHON: STRAY });
    expect((await call<WireVolume>("Volume.stat", { sr: s.sr, key: vol.key })).name).toBe("still");
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
