// The session service under faults: killed under a verb's request (the verb finishes on a session
// of its own, after one warning, and leaves no lock behind), a verb that dies holding a lock (the
// service releases it at once, not at the lease's end), a lock whose service died under the work
// (taken again by the work's next session, same cookie), and a cluster restarted under it (the
// same service serves the next verbs).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withLock } from "../../plugins/ceph/locks.js";
import { omapList, omapSet } from "../../plugins/ceph/rados.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import { createLogger } from "../../plugins/log.js";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { parseSrPlace } from "../../volume/sr/sr-place.js";
import { removeCluster, startCluster, startDaemon, stopDaemon, type Cluster } from "../helpers/clusters.js";
import { join } from "node:path";
import { call, runVerb, startExecutable, VOLUME_DIR, type VerbRun } from "../helpers/run-verb.js";
import { fallbackWarnings, recordedPid, servedByService, serviceEnv, serviceRunDir, servicesOf, srLocks, stopServices, until } from "../helpers/service.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
const runs: string[] = [];
const fresh = () => {
  const run = serviceRunDir();
  runs.push(run);
  return run;
};
const ok = (r: VerbRun) => expect(r.code, r.stderr.slice(-2000)).toBe(0);
const stateOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2)[0];
};
// A snapshot: a journaled verb under its volume's lock.
const snapshot = (env: Record<string, string>) =>
  startExecutable(join(VOLUME_DIR, "Volume.snapshot"), JSON.stringify({ dbg: "service", sr: s.sr, key: vol.key }), ["--json"], env);

let s: TestSr;
let vol: WireVolume;
beforeAll(async () => {
  s = await makeSr();
  vol = await call<WireVolume>("Volume.create", { sr: s.sr, name: "svc", description: "", size: 4 * MiB, sharable: false });
});
afterAll(() => stopServices(runs));

describe("the session service under faults", () => {
  it("killed under a verb's request: the verb ends on its own session after one warning, and no lock is left", async () => {
    const run = fresh();
    ok(await runVerb("SR.stat", { dbg: "service", sr: s.sr }, serviceEnv(run)));
    const service = recordedPid(run);
    const verb = snapshot(serviceEnv(run, { CEPH_RBD_PAUSE_AT: "snapshot:intent" }));
    await until("the verb reached its pause point", () => stateOf(verb.pid) === "T", 60_000);
    expect(srLocks(s), "the verb holds its volume's lock").toEqual([`vol:${vol.key}`]);
    // Its next request goes to a service that does not answer, and dies under it.
    process.kill(service, "SIGSTOP");
    process.kill(verb.pid, "SIGCONT");
    await sleep(1500);
    process.kill(service, "SIGKILL");
    const r = await verb.done;
    const warned = fallbackWarnings(r);
    expect(warned, r.stderr).toHaveLength(1);
    expect(warned[0]).toMatch(/connection/);
    // A write under way is never asked again (its journal decides): the verb may fail, cleanly.
    expect(r.json, r.stdout).toBeDefined();
    expect(srLocks(s), "a lock left by the dead service's client").toEqual([]);
    const next = await runVerb("SR.ls", { dbg: "service", sr: s.sr }, serviceEnv(run));
    ok(next);
    expect(servedByService(next), "the next verb starts a service again").toBe(true);
  });

  it("outlives a verb that dies holding a lock, and releases that lock at once", async () => {
    const run = fresh();
    const verb = snapshot(serviceEnv(run, { CEPH_RBD_CRASH_AT: "snapshot:intent", CEPH_RBD_LOCK_LEASE: "120" }));
    const r = await verb.done;
    expect(r.code, "the verb was killed at its crash point").toBeNull();
    // Well within the 120 s lease: the service saw the verb's connection end.
    await until("the dead verb's lock is released", () => srLocks(s).length === 0, 10_000);
    expect(servicesOf(run)).toHaveLength(1);
  });

  it("died under a lock's work: the work's next session takes the lock again, same cookie, and its write lands", async () => {
    const run = fresh();
    const prev = { run: process.env.CEPH_RBD_RUN_DIR, on: process.env.CEPH_RBD_SERVICE };
    process.env.CEPH_RBD_RUN_DIR = run;
    process.env.CEPH_RBD_SERVICE = "on";
    const log = createLogger("service-test");
    const sr = () => ({ place: parseSrPlace(s.sr), log });
    try {
      const outcome = await withLock(sr(), "svc-rehomed", async () => {
        const before = JSON.parse(
          execFileSync(
            "rados",
            ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, "lock", "info", META_OBJECT, "svc-rehomed", "--format", "json"],
            { encoding: "utf8" },
          ),
        ) as {
          lockers: { name: string; cookie: string }[];
        };
        expect(servicesOf(run), "the lock was taken through the service").toHaveLength(1);
        process.kill(recordedPid(run), "SIGKILL");
        await until("the service is gone", () => servicesOf(run).length === 0);
        await sleep(200);
        await omapList(sr().place, log, META_OBJECT);
        await omapSet(sr().place, log, META_OBJECT, "test:svc-rehomed", "yes");
        return before.lockers;
      });
      expect(outcome).toHaveLength(1);
      expect((await omapList(sr().place, log, META_OBJECT)).get("test:svc-rehomed")).toBe("yes");
      expect(srLocks(s)).not.toContain("svc-rehomed");
    } finally {
      closeSessions();
      for (const [k, v] of [
        ["CEPH_RBD_RUN_DIR", prev.run],
        ["CEPH_RBD_SERVICE", prev.on],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  describe("a cluster restarted", () => {
    let c: Cluster | undefined;
    beforeAll(async () => {
      c = await startCluster(1, process.env.SERVICE_CLUSTER);
    }, 300_000);
    afterAll(() => removeCluster(c));

    it("under a running service: the same service serves the next verbs", { timeout: 300_000 }, async () => {
      const cl = c as Cluster;
      const own = await makeSr({}, cl);
      const run = fresh();
      const first = await runVerb("SR.stat", { dbg: "service", sr: own.sr }, serviceEnv(run));
      ok(first);
      const pid = recordedPid(run);
      for (const d of ["osd.0", "mon.a"]) await stopDaemon(cl, d);
      for (const d of ["mon.a", "osd.0"]) await startDaemon(cl, d);
      await until(
        "the cluster answers again",
        () => {
          try {
            execFileSync("ceph", ["--conf", cl.conf, "--connect-timeout", "5", "osd", "stat"], { stdio: "ignore", timeout: 10_000 });
            return true;
          } catch {
            return false;
          }
        },
        120_000,
      );
      const v = await call<WireVolume>("Volume.create", { sr: own.sr, name: "after", description: "", size: 4 * MiB, sharable: false }, serviceEnv(run));
      const r = await runVerb("Volume.stat", { dbg: "service", sr: own.sr, key: v.key }, serviceEnv(run));
      ok(r);
      expect(servedByService(r)).toBe(true);
      expect(fallbackWarnings(r)).toEqual([]);
      expect(servicesOf(run)).toEqual([pid]);
    });
  });
});
