// An mgr that is stuck (SIGSTOP) or stopped, on a cluster of this suite's own: the admin's GC
// commands cost at most the mgr's own timeout (CEPH_RBD_MGR_TIMEOUT, here 2 s, where the op
// timeout is 30 s), say so in words, and the GC does its heavy work itself; with
// CEPH_RBD_GC_MGR=off the mgr is never asked (its timeout, here 20 s, is never waited).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daemonPid, removeCluster, startCluster, startDaemon, stopDaemon, type Cluster } from "../helpers/clusters.js";
import { call, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

let c: Cluster;
beforeAll(async () => {
  c = await startCluster(1, process.env.RELIABILITY_CLUSTER1);
}, 300_000);
afterAll(() => removeCluster(c), 120_000);

const SHORT = { CEPH_RBD_MGR_TIMEOUT: "2", CEPH_RBD_OP_TIMEOUT: "30" };
// Well under the op timeout: a command that waited on the mgr with it would take 30 s or more.
const BOUND_MS = 15_000;

const admin = async (args: string[], s: TestSr, env: Record<string, string>) => {
  const started = Date.now();
  const r = await runAdmin([...args, "--sr", s.sr], { ...env, CEPH_RBD_LOG_STDERR: "warning" });
  return { ...r, ms: Date.now() - started };
};

// An SR with a destroyed clone and its destroyed parent: the GC's passes purge from the trash,
// which is work it hands to the mgr when it can.
async function srWithGarbage(): Promise<TestSr> {
  const s = await makeSr({}, c);
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "v", description: "", size: 4 << 20, sharable: false });
  const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
  const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
  for (const k of [clone.key, snap.key, v.key]) await call("Volume.destroy", { sr: s.sr, key: k });
  return s;
}

async function gcToTheEnd(s: TestSr, env: Record<string, string>) {
  const runs = [];
  for (let i = 0; i < 6; i++) {
    const r = await admin(["gc", "run", "--json"], s, env);
    runs.push(r);
    const out = r.json as { done: string[]; failed: string[] };
    if (r.code !== 0 || out.done.length === 0) break;
  }
  return runs;
}

describe.sequential("an mgr that does not answer", { timeout: 300_000 }, () => {
  it("stuck (SIGSTOP): gc status and gc run each wait at most the mgr's timeout, say why in words, and purge without it", async () => {
    const s = await srWithGarbage();
    const mgr = daemonPid(c, "mgr.x") ?? 0;
    expect(mgr).toBeGreaterThan(0);
    process.kill(mgr, "SIGSTOP");
    try {
      const st = await admin(["gc", "status", "--json"], s, SHORT);
      expect(st.code, st.stderr).toBe(0);
      expect((st.json as { tasksUnknown?: string }).tasksUnknown).toMatch(/the mgr did not answer within 2 s/);
      expect(st.ms).toBeLessThan(BOUND_MS);
      const human = await admin(["gc", "status"], s, SHORT);
      expect(human.stdout).toMatch(/mgr tasks: unknown: .*the mgr did not answer within 2 s/);
      const runs = await gcToTheEnd(s, SHORT);
      for (const r of runs) {
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.ms).toBeLessThan(BOUND_MS);
        expect(r.stdout + r.stderr).not.toMatch(/error 110/);
      }
      const done = runs.flatMap((r) => (r.json as { done: string[] }).done);
      expect(done.filter((d) => d.startsWith("purged"))).toHaveLength(2);
      expect(done.filter((d) => d.startsWith("queued"))).toEqual([]);
    } finally {
      process.kill(mgr, "SIGCONT");
    }
  });

  it("CEPH_RBD_GC_MGR=off: gc status and gc run never ask the stuck mgr", async () => {
    const s = await srWithGarbage();
    const mgr = daemonPid(c, "mgr.x") ?? 0;
    const off = { CEPH_RBD_GC_MGR: "off", CEPH_RBD_MGR_TIMEOUT: "20", CEPH_RBD_OP_TIMEOUT: "30" };
    process.kill(mgr, "SIGSTOP");
    try {
      const st = await admin(["gc", "status", "--json"], s, off);
      expect(st.code, st.stderr).toBe(0);
      expect((st.json as { tasksUnknown?: string }).tasksUnknown).toMatch(/not asked \(CEPH_RBD_GC_MGR=off\)/);
      expect(st.ms).toBeLessThan(BOUND_MS);
      for (const r of await gcToTheEnd(s, off)) {
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.ms).toBeLessThan(BOUND_MS);
      }
    } finally {
      process.kill(mgr, "SIGCONT");
    }
  });

  it("stopped: gc status waits at most the mgr's timeout and says why", async () => {
    const s = await makeSr({}, c);
    await stopDaemon(c, "mgr.x");
    try {
      const st = await admin(["gc", "status", "--json"], s, SHORT);
      expect(st.code, st.stderr).toBe(0);
      expect((st.json as { tasksUnknown?: string }).tasksUnknown).toMatch(/the mgr did not answer within 2 s/);
      expect(st.ms).toBeLessThan(BOUND_MS);
    } finally {
      await startDaemon(c, "mgr.x");
    }
  });
});
