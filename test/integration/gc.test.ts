// The background GC on a real cluster: reclaim, flatten, purge, depth limits, one pass at a
// time pool-wide, resuming after a crash, and the worker's life with the SR.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { inspectSr, problemsOf, trashOf } from "../helpers/inspect.js";
import { isRunning } from "../helpers/processes.js";
import { crashingRbd } from "../helpers/crashing-rbd.js";
import { checksum, omapKeys, writePattern } from "../helpers/rbd-data.js";
import { ADMIN, call, fail, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
const ceph = (...args: string[]) => execFileSync("ceph", ["--conf", inject("ceph").conf, ...args], { encoding: "utf8" });
const rbd = (...args: string[]) => execFileSync("rbd", ["--conf", inject("ceph").conf, ...args], { encoding: "utf8" });
const imageOf = (v: WireVolume) => /\/([^/?]+)\?/.exec(v.uri[0] ?? "")?.[1] ?? "";

const gcRun = async (s: TestSr, env: Record<string, string> = {}) => {
  const r = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], env);
  expect(r.code, r.stderr).toBe(0);
  return r.json as { done: string[]; failed: string[]; waiting: unknown[] };
};

// Runs passes until the SR holds nothing but its volumes (or gives up).
async function collect(s: TestSr, env: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await gcRun(s, env);
    const v = inspectSr(s.pool, s.namespace);
    const trash = trashOf(s.pool, s.namespace);
    if (v.tombs.size === 0 && trash.length === 0 && v.images.length === v.records.size - [...v.records.values()].filter((r) => r.snap).length) return;
    await sleep(1500);
  }
  throw new Error(`the GC did not converge: ${JSON.stringify(inspectSr(s.pool, s.namespace), (_k, x) => (x instanceof Map || x instanceof Set ? [...x] : x))}`);
}

const hasParent = (s: TestSr, v: WireVolume) => "parent" in JSON.parse(rbd("info", "--format", "json", `${s.pool}/${s.namespace}/${imageOf(v)}`));

async function diskWithSnapshot(s: TestSr, before: number, after: number, mib = 16) {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "d", description: "", size: mib * MiB, sharable: false });
  writePattern(v.uri[0] ?? "", before, 0, mib * MiB);
  const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
  const sum = await checksum(snap.uri[0] ?? "");
  writePattern(v.uri[0] ?? "", after, 0, mib * MiB);
  return { v, snap, sum };
}

describe("reclaiming and purging", () => {
  let s: TestSr;
  beforeAll(async () => {
    s = await makeSr();
  });

  it("reclaims a tombstone's head at once: the pool's usage drops, the snapshot keeps its data", async () => {
    // A pool of its own, so that its usage moves only with this test.
    const pool = `gc-${randomUUID().slice(0, 8)}`;
    ceph("osd", "pool", "create", pool, "8", "8", "replicated");
    rbd("pool", "init", pool);
    const own = await makeSr({ pool });
    const { v, snap, sum } = await diskWithSnapshot(own, 0x11, 0x22, 64);
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    const stored = () =>
      (JSON.parse(ceph("df", "--format", "json")).pools as Array<{ name: string; stats: { stored: number } }>).find((p) => p.name === pool)?.stats.stored ?? 0;
    await sleep(2500);
    const before = stored();
    const r = await gcRun(own);
    expect(r.done.join("\n")).toMatch(/reclaimed the head/);
    let after = stored();
    for (let i = 0; i < 20 && before - after < 48 * MiB; i++) {
      await sleep(1000);
      after = stored();
    }
    expect(before - after).toBeGreaterThanOrEqual(48 * MiB);
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
    expect(problemsOf(inspectSr(own.pool, own.namespace))).toEqual([]);
  });

  it("after a native revert and the snapshot's destroy, flattens the orphaned head and purges its ancestors", async () => {
    const { v, snap, sum } = await diskWithSnapshot(s, 0x31, 0x32);
    await call("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
    await call("Volume.destroy", { sr: s.sr, key: snap.key });
    const reverted = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
    expect(hasParent(s, reverted)).toBe(true);
    await collect(s);
    expect(hasParent(s, reverted)).toBe(false);
    expect(await checksum(reverted.uri[0] ?? "")).toBe(sum);
    expect(inspectSr(s.pool, s.namespace).images).toContain(imageOf(reverted));
  });

  // A snapshot of a destroyed clone of a destroyed clone: its data is read through two images
  // that the GC has trashed, and through snapshots of theirs that Ceph keeps in the trash
  // namespace, which no listing of images shows. Seen in the mixed load: the grandparent's purge
  // was planned and refused on every pass.
  it("keeps what a snapshot still reads through trashed images, and purges it once the snapshot goes", async () => {
    const { v, snap: x } = await diskWithSnapshot(s, 0x51, 0x52);
    const q = await call<WireVolume>("Volume.clone", { sr: s.sr, key: x.key });
    writePattern(q.uri[0] ?? "", 0x53, 0, 4 * MiB);
    const y = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: q.key });
    const r = await call<WireVolume>("Volume.clone", { sr: s.sr, key: y.key });
    const z = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: r.key });
    const sum = await checksum(z.uri[0] ?? "");
    // The heads first, reclaimed while their snapshots keep them as tombstones: a reclaimed
    // clone's head no longer names its parent. Then the snapshots between.
    for (const gone of [r, q, v]) await call("Volume.destroy", { sr: s.sr, key: gone.key });
    expect((await gcRun(s)).done.filter((d) => d.startsWith("reclaimed the head"))).toHaveLength(3);
    for (const gone of [y, x]) await call("Volume.destroy", { sr: s.sr, key: gone.key });
    for (let i = 0; i < 4; i++) {
      expect((await gcRun(s)).failed).toEqual([]);
      await sleep(1000);
    }
    const trashed = () => trashOf(s.pool, s.namespace).map((t) => t.name);
    expect(trashed()).toEqual(expect.arrayContaining([imageOf(v), imageOf(q)]));
    const st = await runAdmin(["gc", "status", "--sr", s.sr, "--json"]);
    const status = st.json as { pending: unknown[]; waiting: Array<{ item: string; why: string }> };
    expect(status.pending).toEqual([]);
    expect(status.waiting).toEqual(expect.arrayContaining([{ item: imageOf(v), why: expect.stringContaining("read by 1 clone(s)") }]));
    expect(await checksum(z.uri[0] ?? "")).toBe(sum);
    await call("Volume.destroy", { sr: s.sr, key: z.key });
    await collect(s);
    expect(trashed()).toEqual([]);
  });

  it("after the XCP-ng 8.3 flow (destroy, clone the snapshot, destroy the snapshot), leaves no trace of the old disk", async () => {
    const { v, snap, sum } = await diskWithSnapshot(s, 0x41, 0x42);
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    await call("Volume.destroy", { sr: s.sr, key: snap.key });
    await collect(s);
    expect(hasParent(s, clone)).toBe(false);
    expect(await checksum(clone.uri[0] ?? "")).toBe(sum);
    expect(inspectSr(s.pool, s.namespace).images).not.toContain(imageOf(v));
    const st = await runAdmin(["gc", "status", "--sr", s.sr, "--json"]);
    expect(st.json).toMatchObject({ tombstones: 0, pending: [] });
    const check = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(check.json).toMatchObject({ clean: true });
  });
});

describe("a listing with a hole", () => {
  it("stops the pass, changing nothing, when `rbd ls -l` skips an image it cannot open; the next pass after the repair proceeds", async () => {
    const own = await makeSr();
    // Two tombstones, the first in the listing's (sorted) order damaged: `rbd ls -l` exits 0
    // when an image that opens comes after the damaged one, and fails on its own when none does.
    const disks = [await diskWithSnapshot(own, 0x61, 0x62, 4), await diskWithSnapshot(own, 0x63, 0x64, 4)].sort((a, b) =>
      imageOf(a.v) < imageOf(b.v) ? -1 : 1,
    );
    for (const d of disks) await call("Volume.destroy", { sr: own.sr, key: d.v.key });
    const [first] = disks;
    if (!first) throw new Error("no disk made");
    const { v, snap, sum } = first;
    const head = imageOf(v);
    const base = ["--conf", inject("ceph").conf, "--pool", own.pool, "--namespace", own.namespace];
    const rados = (...args: string[]) => execFileSync("rados", [...base, ...args], { encoding: "utf8" });
    const keys = () => omapKeys(own.pool, own.namespace).sort();
    expect(keys()).toContain(`tomb:${head}`);
    const before = keys();
    // A header whose size does not decode: every open of the image fails with EIO (damage a
    // real cluster has, but not on cue), and `rbd ls -l` leaves the image out with exit 0.
    const header = `rbd_header.${(JSON.parse(rbd("info", "--format", "json", `${own.pool}/${own.namespace}/${head}`)) as { id: string }).id}`;
    const dir = mkdtempSync(join(tmpdir(), "hole-"));
    rados("getomapval", header, "size", join(dir, "size"));
    writeFileSync(join(dir, "bad"), "x");
    rados("setomapval", header, "size", "--input-file", join(dir, "bad"));
    try {
      const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"]);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(new RegExp(`rbd ls --long .*incomplete answer: rbd: error opening ${head}: \\(5\\) Input/output error`));
      // Planned on the hole, the pass would have dropped the tombstone of the image it missed.
      expect(keys()).toEqual(before);
    } finally {
      rados("setomapval", header, "size", "--input-file", join(dir, "size"));
    }
    expect((await gcRun(own)).done.join("\n")).toMatch(/reclaimed the head/);
    expect(keys()).toContain(`tomb:${head}`);
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
  });
});

describe("a listing whose `rbd` dies", () => {
  // `rbd ls -l` aborted by Ceph's C++ libraries (seen in CI while the mgr purged), injected by a
  // fake `rbd` first on PATH that crashes the listing and runs the real rbd for all else.
  const crashing = (times: number) => {
    const crash = crashingRbd({ times, args: "ls --long" });
    return { ...crash, env: { ...crash.env, CEPH_RBD_LOG_STDERR: "warning" } };
  };

  it("is run once more: the pass plans on the second listing and reclaims, and the log says why", async () => {
    const own = await makeSr();
    const { v, snap, sum } = await diskWithSnapshot(own, 0x65, 0x66, 4);
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    const crash = crashing(1);
    const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"], crash.env);
    expect(crash.crashes(), "the pass never listed").toBe(1);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { done: string[] }).done.join("\n")).toMatch(/reclaimed the head/);
    expect(r.stderr).toMatch(/WARNING .*rbd ls --long .* died of SIGABRT: terminate called .*; running it again; backtrace: 1: /);
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
  });

  it("twice: the pass fails with the tool's last words, changing nothing", async () => {
    const own = await makeSr();
    const { v } = await diskWithSnapshot(own, 0x67, 0x68, 4);
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    const before = omapKeys(own.pool, own.namespace).sort();
    const images = rbd("ls", `${own.pool}/${own.namespace}`);
    const crash = crashing(2);
    const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"], crash.env);
    expect(crash.crashes()).toBe(2);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /rbd ls --long .*: died of SIGABRT: terminate called after throwing an instance of 'std::system_error' \/ what\(\): Invalid argument/,
    );
    expect(omapKeys(own.pool, own.namespace).sort()).toEqual(before);
    expect(rbd("ls", `${own.pool}/${own.namespace}`)).toBe(images);
    expect((await gcRun(own)).done.join("\n")).toMatch(/reclaimed the head/);
  });
});

describe("clone depth", () => {
  it("flattens chains past the soft limit, and refuses clones past the hard limit", async () => {
    const s = await makeSr();
    const chain: WireVolume[] = [await call<WireVolume>("Volume.create", { sr: s.sr, name: "base", description: "", size: 8 * MiB, sharable: false })];
    writePattern(chain[0]?.uri[0] ?? "", 0x51, 0, 8 * MiB);
    const sum = await checksum(chain[0]?.uri[0] ?? "");
    for (let i = 0; i < 2; i++) chain.push(await call<WireVolume>("Volume.clone", { sr: s.sr, key: chain[chain.length - 1]?.key }));
    const hard = { CEPH_RBD_GC_HARD_DEPTH: "2" };
    const e = await fail("Volume.clone", { dbg: "t", sr: s.sr, key: chain[2]?.key }, hard);
    expect(e.code).toBe("SR_BACKEND_FAILURE_109");
    await gcRun(s, { CEPH_RBD_GC_SOFT_DEPTH: "2" });
    for (let i = 0; i < 20 && hasParent(s, chain[2] as WireVolume); i++) await sleep(1000);
    expect(hasParent(s, chain[2] as WireVolume)).toBe(false);
    expect(hasParent(s, chain[1] as WireVolume)).toBe(true);
    expect(await checksum(chain[2]?.uri[0] ?? "")).toBe(sum);
    await call("Volume.clone", { sr: s.sr, key: chain[2]?.key }, hard);
  });
});

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
    const env = { CEPH_RBD_GC_MGR: "off", CEPH_RBD_GC_LEASE: "2" };
    const first = spawn(ADMIN, ["gc", "run", "--sr", s.sr], { env: { ...process.env, ...env, CEPH_RBD_LOG_SYSLOG: "off" }, stdio: "ignore" });
    await sleep(2500);
    first.kill("SIGKILL");
    await sleep(2500);
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
