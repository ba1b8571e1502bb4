// The GC and a host's restart across a pool of three test hosts (test/helpers/hosts): the host
// running a GC pass is cut off the network in the middle of it, and another host takes the next
// pass once the lease is over, with nothing lost and no action done by both; and a host
// "rebooted" (every process of it killed, its /run emptied) in the middle of its GC worker's pass
// gets its activation and GC worker back, and the worker finishes what the pass left.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { inspectSr, problemsOf, trashOf } from "../helpers/inspect.js";
import { checksum, imageOf, writePattern } from "../helpers/rbd-data.js";
import { summary } from "../helpers/summary.js";
import type { TestSr, WireVolume } from "../helpers/sr.js";
import { activationOf, srOfPool } from "../helpers/hosts/ceph.js";
import { processesOn, reboot, startOnHost, stoppedOn, type TestHost } from "../helpers/hosts/host.js";
import { ADMIN } from "../helpers/run-verb.js";
import { setLink } from "../helpers/hosts/net.js";
import { noHosts, poolOfHosts, titled, world } from "../helpers/hosts/pool.js";
import { adminOn, callOn, dpFails, dpOn, ioOn, nbdOf, type Backend } from "../helpers/hosts/verbs.js";

const MiB = 2 ** 20;
// The GC does its heavy work itself (as without the mgr module), with a short lease that a
// loaded machine still renews in time.
const GC = { CEPH_RBD_GC_MGR: "off", CEPH_RBD_GC_LEASE: "6" };

poolOfHosts(3);

let s: TestSr;
const sr = async () => (s ??= await srOfPool("gc"));
const create = async (h: TestHost, name: string, byte: number) => {
  const v = await callOn<WireVolume>(h, "Volume.create", { sr: (await sr()).sr, name, description: "", size: 8 * MiB, sharable: false });
  writePattern(v.uri[0] ?? "", byte, 0, 8 * MiB, world.conf);
  return v;
};
const report = (json: unknown) => json as { done: string[]; failed: string[] } | undefined;

// Bounded wait for a condition checked every 200 ms.
async function until(what: string, ms: number, check: () => boolean): Promise<void> {
  for (const end = Date.now() + ms; !check(); await sleep(200)) if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
}

describe.skipIf(noHosts !== undefined)(titled("the GC across hosts"), () => {
  it("a host cut off mid-pass: another host takes the next pass after the lease; nothing lost, nothing done twice", { timeout: 600_000 }, async () => {
    const [a, b, c] = world.hosts as [TestHost, TestHost, TestHost];
    const { sr: id } = await sr();
    // Garbage of three kinds, and data that must survive it: a destroyed head under a snapshot's
    // clone (trash-move once the snapshot goes too), a plain destroyed head, a live volume.
    const head = await create(c, "head", 0x31);
    const snap = await callOn<WireVolume>(c, "Volume.snapshot", { sr: id, key: head.key });
    const clone = await callOn<WireVolume>(c, "Volume.clone", { sr: id, key: snap.key });
    const plain = await create(c, "plain", 0x51);
    const live = await create(c, "live", 0x61);
    for (const v of [head, snap, plain]) await callOn(c, "Volume.destroy", { sr: id, key: v.key });
    const keep = new Map<string, string>();
    for (const v of [clone, live]) keep.set(v.uri[0] ?? "", await checksum(v.uri[0] ?? "", world.conf));
    const trace = join(world.dir, "gc-trace");

    // A's pass stops at its first trash move; then A is cut off and runs on, cut off.
    const env = { ...GC, CEPH_RBD_PAUSE_AT: "gc:trash-move", CEPH_RBD_GC_TRACE: trace, CEPH_RBD_LOG_STDERR: "debug" };
    const started = startOnHost(a, [ADMIN, "gc", "run", "--sr", id, "--json"], "", env, 180_000);
    const passA = started.done;
    await until("A's pass reaching its trash move", 60_000, () => stoppedOn(a).length > 0);
    // What A did before it stopped (its log reaches the pipe before it stops: Node writes to a
    // pipe synchronously) is its own pass's, under its lease.
    await sleep(300);
    const beforeCut = started.stderr().length;
    setLink(world.net, a.index, false);
    const cut = Date.now();
    let runA: Awaited<typeof passA> | undefined;
    let takeoverMs = 0;
    let doneB: string[] = [];
    try {
      for (const pid of stoppedOn(a)) process.kill(pid, "SIGCONT");
      const runB = await adminOn(b, ["gc", "run", "--sr", id, "--json"], { ...GC, CEPH_RBD_GC_TRACE: trace });
      expect(runB.code, runB.stderr.slice(-2000)).toBe(0);
      doneB = report(runB.json)?.done ?? [];
      const startB = readFileSync(trace, "utf8")
        .split("\n")
        .map((l) => l.split(" "))
        .filter(([what]) => what === "start")
        .map(([, , at]) => Number(at))
        .find((at) => at > cut);
      takeoverMs = (startB ?? Number.NaN) - cut;
      expect(doneB.some((d) => d.includes(imageOf(head.uri[0] ?? "")))).toBe(true);
    } finally {
      setLink(world.net, a.index, true);
      runA = await passA;
    }
    // A's pass, once its lease is over, stops before its next action: it changes no image after
    // the cut (every Ceph CLI call is in its debug log), and says why.
    const writes = runA.stderr
      .slice(beforeCut)
      .split("\n")
      .filter((l) => /\] rbd (flatten|trash (mv|rm|purge)|resize|snap (rm|purge))\b/.test(l));
    expect(writes, runA.stderr.slice(-1500)).toEqual([]);
    expect(runA.code).not.toBe(0);
    expect(runA.stderr).toMatch(/lock gc was lost/);
    // Whatever A's pass did, it did no action B did.
    const doneA = report(runA.json)?.done ?? [];
    expect(
      doneA.filter((d) => doneB.includes(d)),
      `A: exit ${runA.code} ${runA.stdout.slice(0, 500)} ${runA.stderr.slice(-800)}`,
    ).toEqual([]);
    const status = (await adminOn(c, ["gc", "status", "--sr", id, "--json"], GC)).json as { last?: { host: string } };
    // The last pass recorded is B's, under its own host name: A's record was a guarded write.
    expect(status.last?.host).toBe(b.name);

    // Later passes, from the third host, converge; every kept byte is still there.
    let why = "";
    for (let pass = 0; pass < 8; pass++) {
      const r = await adminOn(c, ["gc", "run", "--sr", id, "--json"], GC);
      expect(r.code, r.stderr.slice(-1500)).toBe(0);
      const view = inspectSr(s.pool, s.namespace, world.conf);
      const trash = trashOf(s.pool, s.namespace, world.conf);
      why = `tombstones ${[...view.tombs].join(" ")}; trash ${trash.map((t) => t.name).join(" ")}; problems ${problemsOf(view).join("; ")}`;
      if (view.tombs.size === 0 && trash.length === 0 && problemsOf(view).length === 0) break;
      await sleep(1000);
    }
    expect(why).toMatch(/^tombstones ; trash ; problems $/);
    for (const [uri, sum] of keep) expect(await checksum(uri, world.conf), uri).toBe(sum);
    console.log(
      `cut-off GC pass: A exit ${runA.code}: ${runA.stderr
        .split("\n")
        .filter((l) => l.includes("Lock_lost"))
        .join(" ")}, done ${JSON.stringify(doneA)}, failed ${JSON.stringify(report(runA.json)?.failed)}; B done ${JSON.stringify(doneB)}`,
    );
    summary("pool-gc-takeover", { hosts: 3, anomalies: 0, takeover_ms: takeoverMs, done_by_cut_host: doneA.length, done_by_next: doneB.length });
  });

  it(
    "a host rebooted mid GC pass gets its activation and GC worker back, which finishes the pass's work; the others stay refused meanwhile",
    { timeout: 600_000 },
    async () => {
      const [, b, c] = world.hosts as [TestHost, TestHost, TestHost];
      const { sr: id, config } = await sr();
      const withGc = { ...GC, CEPH_RBD_GC: "on", CEPH_RBD_GC_INTERVAL: "2" };
      // Garbage for C's GC worker, whose pass the reboot cuts short: it stops at its purge.
      const junk = await create(c, "junk", 0x77);
      await callOn(c, "Volume.destroy", { sr: id, key: junk.key });
      expect(trashOf(s.pool, s.namespace, world.conf)).toHaveLength(1);
      await callOn(c, "SR.attach", { configuration: config }, { ...withGc, CEPH_RBD_PAUSE_AT: "gc:trash-purge" });
      await until("C's GC worker stopping at its purge", 60_000, () => stoppedOn(c).length === 1);
      expect(processesOn(c, "gc\0worker")).toEqual(stoppedOn(c));
      const v = await callOn<WireVolume>(c, "Volume.create", { sr: id, name: "vm", description: "", size: 8 * MiB, sharable: false });
      const uri = v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
      const nbd = nbdOf(await dpOn<Backend>(c, "attach", uri, "7"));
      await dpOn(c, "activate", uri, "7");
      expect((await ioOn(c, nbd, "write -P 0x71 0 8M")).stdout).toMatch(/wrote 8388608\/8388608/);
      const sum = await checksum(v.uri[0] ?? "", world.conf);
      const before = activationOf(s, v.key);

      const t0 = Date.now();
      const killed = reboot(c);
      expect(killed).toBeGreaterThan(0);
      expect(processesOn(c, "")).toEqual([]);
      // The record outlives the host's processes: no other host may take the volume unfenced.
      expect(activationOf(s, v.key)).toEqual(before);
      expect((await dpFails(b, "activate", uri, "8")).params).toEqual(["Activated_on_another_host", c.uuid]);

      // The host boots: xapi attaches the SR again, and starts the VM again on it.
      await callOn(c, "SR.attach", { configuration: config }, withGc);
      await until("C's GC worker after the reboot", 30_000, () => processesOn(c, "gc\0worker").length === 1);
      const nbd2 = nbdOf(await dpOn<Backend>(c, "attach", uri, "9"));
      await dpOn(c, "activate", uri, "9");
      const recoverMs = Date.now() - t0;
      // The new worker takes the pass over once the dead one's lease is out: the purge is done.
      await until("the purge by C's new worker", 60_000, () => trashOf(s.pool, s.namespace, world.conf).length === 0);
      const gcRecoverMs = Date.now() - t0;
      const after = activationOf(s, v.key);
      expect(after?.host).toBe(c.uuid);
      expect(after?.clients.every((x) => x.startsWith(`${c.addr}:`))).toBe(true);
      expect((await ioOn(c, nbd2, "read -P 0x71 0 8M")).stdout).toMatch(/read 8388608\/8388608/);
      expect(await checksum(v.uri[0] ?? "", world.conf)).toBe(sum);
      const st = await adminOn(c, ["gc", "run", "--sr", id, "--json"], GC);
      expect(st.code, st.stderr.slice(-1500)).toBe(0);
      await dpOn(c, "deactivate", uri, "9");
      await dpOn(c, "detach", uri, "9");
      expect(activationOf(s, v.key)).toBeUndefined();
      await callOn(c, "SR.detach", { sr: id });
      await until("C's GC worker stopping", 30_000, () => processesOn(c, "gc\0worker").length === 0);
      summary("pool-reboot", { hosts: 3, anomalies: 0, processes_killed: killed, recover_ms: recoverMs, gc_recover_ms: gcRecoverMs });
    },
  );
});
