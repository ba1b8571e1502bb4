// Ceph faults under the verbs, on clusters of this suite's own (stopping daemons of the shared
// test cluster would break the other suites):
//  - three OSDs, pool size 3: an OSD restarted (stop-daemon osd.1, start-daemon osd.1) while
//    Volume.snapshot, Volume.revert and a GC flatten run must not even interrupt them: every call
//    exits 0 and every checksum is right; meanwhile SR.stat says Recovering, with a reason;
//  - one OSD: the OSD, then the monitor, stopped while a verb runs: the verbs fail with a clear
//    error (Ceph_unreachable or Ceph_error, with the command's own words) within a bound, never
//    hang; SR.stat reports Unreachable or Recovering with a reason; once the daemon is back the
//    SR is Healthy again within a bound, the verb succeeds, and the SR converges.
//
// RELIABILITY_FULL=1 repeats every case (SIGKILL instead of SIGTERM every other time).
// RELIABILITY_CLUSTER3 / RELIABILITY_CLUSTER1: directories of ceph-local clusters already
// running (3 OSDs, 1 OSD) to use instead of starting them (for working on this suite).
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, it } from "vitest";
import { removeCluster, startCluster, startDaemon, stopDaemon, type Cluster } from "../helpers/clusters.js";
import { hasParent, inspectSr, trashOf } from "../helpers/inspect.js";
import { waitForChild } from "../helpers/processes.js";
import { checksum, imageOf, watcherCount, writePattern } from "../helpers/rbd-data.js";
import { call, runAdmin, runVerb, type WireError } from "../helpers/run-verb.js";
import { makeSr, type WireVolume } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";
import { figures, burst, serial, trace, describeAttempt, stat, volumeWithData, recovered } from "../helpers/fault-bursts.js";
import { restartOsd, throughRestart } from "../helpers/osd-restart.js";

const FULL = process.env.RELIABILITY_FULL === "1";
const REPEAT = FULL ? 3 : 1;
const MiB = 2 ** 20;

// On the one-OSD cluster: small Ceph timeouts, so that a dead daemon is an error within seconds.
const TIMEOUT_S = 5;
// osd_client_watch_timeout (30 s), from the OSD's restart, and a margin.
const WATCH_EXPIRY_MS = 40_000;
const SHORT = { CEPH_RBD_CONNECT_TIMEOUT: String(TIMEOUT_S), CEPH_RBD_OP_TIMEOUT: String(TIMEOUT_S), CEPH_RBD_LOCK_LEASE: "3" };
// A verb makes a few Ceph calls, and a failing one still tries to release its lock: at most
// three calls' connect and op timeouts, plus process start-up on a loaded machine.
const VERB_BOUND_MS = 3 * 2 * TIMEOUT_S * 1000 + 5000;

let c3: Cluster | undefined;
let c1: Cluster | undefined;
const on3 = serial();
const on1 = serial();

beforeAll(async () => {
  // Both at once: each takes half a minute on a loaded machine.
  [c3, c1] = await Promise.all([startCluster(3, process.env.RELIABILITY_CLUSTER3), startCluster(1, process.env.RELIABILITY_CLUSTER1)]);
}, 300_000);

afterAll(async () => {
  summary("faults", {
    injected: figures.injected,
    recovered: figures.recovered,
    verbs_during_faults: figures.verbsDuringFaults,
    max_fail_ms: figures.maxFailMs,
    max_back_to_healthy_ms: figures.maxHealthyMs,
    full: FULL,
  });
  await Promise.all([removeCluster(c3), removeCluster(c1)]);
}, 120_000);

const rounds = Array.from({ length: REPEAT }, (_, i) => i);

describe.concurrent("three OSDs: an OSD restart interrupts nothing", { timeout: 900_000 }, () => {
  it.for(rounds)("Volume.snapshot while osd.1 restarts (round %i)", (round, { expect }) =>
    on3(async () => {
      const c = c3 as Cluster;
      const s = await makeSr({}, c);
      const { v, sum } = await volumeWithData(c, s, 0x5a + round, 16);
      trace("snapshot: set up");
      const attempts = await throughRestart(expect, c, s, round, "snapshot", (i) => ({
        label: `snapshot ${i}`,
        run: () => runVerb("Volume.snapshot", { dbg: `faults-snap-${i}`, sr: s.sr, key: v.key }),
      }));
      for (const a of attempts) expect(await checksum((a.r.json as WireVolume).uri[0] ?? "", c.conf)).toBe(sum);
      expect(await checksum(v.uri[0] ?? "", c.conf)).toBe(sum);
      await recovered(expect, c, s);
    }),
  );

  it.for(rounds)("Volume.revert while osd.1 restarts (round %i)", (round, { expect }) =>
    on3(async () => {
      const c = c3 as Cluster;
      const s = await makeSr({}, c);
      // Disks whose snapshot holds one pattern and whose head another: each revert must bring
      // the snapshot's data back.
      const disks: Array<{ v: WireVolume; snap: WireVolume; sum: string }> = [];
      for (let i = 0; i < 3; i++) {
        const { v, sum } = await volumeWithData(c, s, 0x21 + i, 4);
        const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
        writePattern(v.uri[0] ?? "", 0x71 + i, 0, 4 * MiB, c.conf);
        disks.push({ v, snap, sum });
      }
      trace("revert: set up");
      const attempts = await throughRestart(expect, c, s, round, "revert", (i) => {
        const d = disks[i % disks.length] ?? disks[0];
        return { label: `revert ${i}`, run: () => runVerb("Volume.revert", { dbg: `faults-revert-${i}`, sr: s.sr, key: d?.v.key, snapshot: d?.snap.key }) };
      });
      for (const [i, d] of disks.entries()) {
        if (attempts.length <= i) continue;
        const now = await call<WireVolume>("Volume.stat", { sr: s.sr, key: d.v.key });
        expect(await checksum(now.uri[0] ?? "", c.conf), `disk ${i} holds its snapshot's data`).toBe(d.sum);
        expect(await checksum(d.snap.uri[0] ?? "", c.conf)).toBe(d.sum);
      }
      await recovered(expect, c, s);
    }),
  );

  it.for(rounds)("a GC flatten while osd.1 restarts (round %i)", (round, { expect }) =>
    on3(async () => {
      const c = c3 as Cluster;
      const s = await makeSr({}, c);
      // 32 KiB objects, and a flatten copying one object at a time: tens of seconds of work,
      // long enough for the OSD to go down while it runs, and mostly to come back. Three clones,
      // flattened one after the other.
      const small = { CEPH_ARGS: "--rbd-default-order 15" };
      const orphans: Array<{ v: WireVolume; sum: string }> = [];
      for (let i = 0; i < 3; i++) {
        const { v, sum } = await volumeWithData(c, s, 0x31 + i, 24, small);
        const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
        writePattern(v.uri[0] ?? "", 0x41 + i, 0, 24 * MiB, c.conf);
        // The native revert makes the head a clone of the old head's snapshot; destroying the
        // snapshot leaves that clone orphaned: the GC must flatten it.
        await call("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
        await call("Volume.destroy", { sr: s.sr, key: snap.key });
        const now = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
        expect(hasParent(s.pool, s.namespace, imageOf(now.uri[0] ?? ""), c.conf)).toBe(true);
        orphans.push({ v: now, sum });
      }
      trace("gc: set up");
      const env = { CEPH_RBD_GC_MGR: "off", CEPH_ARGS: "--rbd-concurrent-management-ops 1" };
      const gcStart = Date.now();
      const gc = runAdmin(["gc", "run", "--sr", s.sr, "--json"], env);
      const flattening = await waitForChild(/^(\S*\/)?rbd flatten /, 60_000);
      expect(flattening, "the GC started a flatten").toBeDefined();
      trace(`gc: flattening (${flattening?.argv.slice(0, 3).join(" ")})`);
      const w = await restartOsd(c, s, round % 2 === 1, false);
      const r = await gc;
      const gcEnd = Date.now();
      trace(`gc: pass done in ${gcEnd - gcStart} ms`);
      expect(r.code, r.stderr.slice(-2000)).toBe(0);
      const report = r.json as { done: string[]; failed: string[]; paused?: string };
      expect(report.failed).toEqual([]);
      expect(report.paused).toBeUndefined();
      expect(report.done.filter((d) => /^flattened /.test(d))).toHaveLength(orphans.length);
      // The pass was under way when osd.1 went down, and was still running once it was down: its
      // flattens met the outage. (Whether they also outlast the start depends on how long a loaded
      // machine takes to bring the OSD up: 2 of 2 runs of the suite with the session service on
      // saw the pass end first, so it is traced, not asserted.)
      expect(gcStart).toBeLessThan(w.stopFrom);
      expect(gcEnd, "the pass outlasted the OSD's stop").toBeGreaterThan(w.stopTo);
      trace(`gc: the pass ${gcEnd > w.startTo ? "outlasted" : "ended before the end of"} the restart`);
      figures.verbsDuringFaults++;
      for (const o of orphans) {
        expect(hasParent(s.pool, s.namespace, imageOf(o.v.uri[0] ?? ""), c.conf)).toBe(false);
        expect(await checksum(o.v.uri[0] ?? "", c.conf)).toBe(o.sum);
      }
      // The rest of the garbage (tombstones, the trash) goes in the next passes.
      await recovered(expect, c, s, async () => {
        for (let i = 0; i < 6; i++) {
          const view = inspectSr(s.pool, s.namespace, c.conf);
          if (view.tombs.size === 0 && trashOf(s.pool, s.namespace, c.conf).length === 0) break;
          const again = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], { CEPH_RBD_GC_MGR: "off" });
          expect(again.code, again.stderr.slice(-2000)).toBe(0);
        }
        expect(inspectSr(s.pool, s.namespace, c.conf).tombs.size).toBe(0);
        expect(trashOf(s.pool, s.namespace, c.conf)).toEqual([]);
      });
    }),
  );
});

// ---------------------------------------------------------------- one OSD

const oneOsdCases = [
  ...rounds.map((i) => ({ daemon: "osd.0", verb: "Volume.snapshot", kill: i % 2 === 1, round: i })),
  ...rounds.map((i) => ({ daemon: "mon.a", verb: "Volume.clone", kill: i % 2 === 1, round: i })),
];

describe.concurrent("one OSD: a dead OSD or monitor gives clear errors in bounded time, then everything converges", { timeout: 900_000 }, () => {
  it.for(oneOsdCases)("$daemon stopped during $verb (round $round, kill $kill)", ({ daemon, verb, kill }, { expect }) =>
    on1(async () => {
      const c = c1 as Cluster;
      // Set-up is not under test: the default timeouts, lest a loaded machine fail it.
      const s = await makeSr({}, c);
      const { v, sum } = await volumeWithData(c, s, 0x66, 4);
      const made: WireVolume[] = [];
      const b = burst((i) => ({ label: `${verb} ${i}`, run: () => runVerb(verb, { dbg: `faults-${daemon}-${i}`, sr: s.sr, key: v.key }, SHORT) }));
      await sleep(1000);
      figures.injected++;
      const stopFrom = Date.now();
      await stopDaemon(c, daemon, kill);
      try {
        const stopTo = Date.now();
        trace(`${daemon} stopped (${stopTo - stopFrom} ms)`);
        // Until a verb started after the stop has failed.
        for (let n = 0; !b.attempts.some((a) => a.start > stopTo && a.r.code !== 0) && n < 600; n++) await sleep(100);
        // While it is down: SR.stat answers, within the bound, with a health that says so.
        const during = await stat(s, SHORT);
        trace(`SR.stat while ${daemon} is down: ${JSON.stringify(during)}`);
        expect(during.ms).toBeLessThan(VERB_BOUND_MS);
        expect(["Unreachable", "Recovering"]).toContain(during.health[0]);
        expect(during.health[1].length, "the health comes with a reason").toBeGreaterThan(0);
        const attempts = await b.stop(0);
        trace(`${verb}: ${attempts.map((a) => `${a.r.code === 0 ? "ok" : "failed"} ${a.end - a.start}`).join(", ")} ms`);
        expect(attempts.some((a) => a.r.code !== 0)).toBe(true);
        expect(
          attempts.some((a) => a.start < stopTo && a.end > stopFrom),
          "a verb was under way when the daemon stopped",
        ).toBe(true);
        for (const a of attempts) {
          expect(a.end - a.start, `bounded: ${describeAttempt(a)}`).toBeLessThan(VERB_BOUND_MS);
          if (a.r.code === 0) {
            // Only a verb that started before the daemon was gone may have succeeded.
            expect(a.start, describeAttempt(a)).toBeLessThan(stopTo);
            made.push(a.r.json as WireVolume);
            continue;
          }
          const e = a.r.json as WireError;
          expect(e?.code, describeAttempt(a)).toBe("SR_BACKEND_FAILURE");
          expect(["Ceph_unreachable", "Ceph_error"], describeAttempt(a)).toContain(e.params[0]);
          expect((e.params[1] ?? "").length, "the error names what failed").toBeGreaterThan(10);
          figures.maxFailMs = Math.max(figures.maxFailMs, a.end - a.start);
        }
        figures.verbsDuringFaults += attempts.filter((a) => a.end > stopFrom).length;
      } finally {
        // Even after a failed check: the cases after this one need the daemon.
        await startDaemon(c, daemon);
      }
      trace(`${daemon} started`);
      await recovered(
        expect,
        c,
        s,
        async () => {
          // A second attempt succeeds: past the lease of a lock the failed verb could not release,
          // and once no dead session watches the image any more. A session killed at its deadline
          // inside librbd leaves its image's exclusive lock and watch behind; librbd breaks such a
          // lock only when its owner no longer watches, which the OSD decides (30 s at most).
          await sleep(3500);
          const watchFrom = Date.now();
          while (watcherCount(v.uri[0] ?? "", c.conf) > 0 && Date.now() - watchFrom < WATCH_EXPIRY_MS) await sleep(1000);
          trace(`no watcher on the disk's image after ${Date.now() - watchFrom} ms more`);
          made.push(await call<WireVolume>(verb, { sr: s.sr, key: v.key }, SHORT));
          // The next SR.stat finishes whatever the failed verbs left half-done.
          await call("SR.stat", { sr: s.sr }, SHORT);
          // No byte lost: the disk, and everything made from it.
          expect(await checksum(v.uri[0] ?? "", c.conf)).toBe(sum);
          for (const m of made) expect(await checksum(m.uri[0] ?? "", c.conf)).toBe(sum);
          const listed = (await call<WireVolume[]>("SR.ls", { sr: s.sr }, SHORT)).map((x) => x.key);
          expect(listed).toEqual(expect.arrayContaining([v.key, ...made.map((m) => m.key)]));
        },
        SHORT,
      );
    }),
  );
});
