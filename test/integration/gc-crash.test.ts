// Crash injection in the GC and in Datapath.activate. `ceph-rbd-admin gc run` is killed (SIGKILL,
// as a host crash) at the start of each kind of GC action (CEPH_RBD_CRASH_AT=gc:<kind>), and in
// the middle of a trash move (gc:trash-moved: the image moved, its tombstone entry not yet
// dropped); then later passes, once the dead pass's lease is over, must converge: no journal
// entry, orphan or leaked snapshot (problemsOf), no tombstone once its snapshots are gone, an
// empty trash, and every byte of the clones and snapshots still there. Each kind gets a world
// of its own in which the first pass reaches it. Datapath.activate is killed between starting
// its export server and recording the activation: the same host's next activate succeeds.
//
// The GC does its heavy work itself here (CEPH_RBD_GC_MGR=off), so that a kill stops it.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import { inspectSr, problemsOf, trashOf } from "../helpers/inspect.js";
import { checksum, imageOf, writePattern } from "../helpers/rbd-data.js";
import { call, DATAPATH_DIR, runAdmin, runExecutable, type VerbRun } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";

const MiB = 2 ** 20;
// A lease a loaded machine can renew in time (a 2 s one was lost before the first action when
// taking the lock alone took 2 s), short enough for the next pass to start soon after a kill.
const LEASE_S = 6;
const GC = { CEPH_RBD_GC_MGR: "off", CEPH_RBD_GC_LEASE: String(LEASE_S) };
const figures = { tried: 0, reached: 0, converged: 0, unreachable: [] as string[] };

interface World {
  s: TestSr;
  // URI -> checksum: every byte that must survive (clones, snapshots, heads).
  data: Map<string, string>;
}

const create = (s: TestSr, mib = 8) => call<WireVolume>("Volume.create", { sr: s.sr, name: "gc-crash", description: "", size: mib * MiB, sharable: false });
const uriOf = (v: WireVolume) => v.uri[0] ?? "";

async function withData(w: World, byte: number): Promise<WireVolume> {
  const v = await create(w.s);
  writePattern(uriOf(v), byte, 0, 8 * MiB);
  return v;
}

// What must survive: recorded now, checked after convergence.
async function keep(w: World, v: WireVolume): Promise<void> {
  w.data.set(uriOf(v), await checksum(uriOf(v)));
}

// Worlds in which the first GC pass reaches the named action.
const worlds: Record<string, (w: World) => Promise<void>> = {
  // A destroyed head kept for its snapshot: reclaimed. This one is also a clone of a destroyed
  // parent (revert, snapshot, destroy the first snapshot, destroy the head): its snapshot keeps
  // that parent in the trash, which must wait, not fail, until the snapshot goes.
  reclaim: async (w) => {
    const a = await withData(w, 0x11);
    const s1 = await call<WireVolume>("Volume.snapshot", { sr: w.s.sr, key: a.key });
    writePattern(uriOf(a), 0x12, 0, 4 * MiB);
    await call("Volume.revert", { sr: w.s.sr, key: a.key, snapshot: s1.key });
    const s2 = await call<WireVolume>("Volume.snapshot", { sr: w.s.sr, key: a.key });
    await call("Volume.destroy", { sr: w.s.sr, key: s1.key });
    await call("Volume.destroy", { sr: w.s.sr, key: a.key });
    await keep(w, s2);
  },
  // A snapshot no record references (as a crash between `rbd snap create` and the record leaves).
  "snap-remove": async (w) => {
    const a = await withData(w, 0x21);
    const { conf } = inject("ceph");
    execFileSync("rbd", ["--conf", conf, "snap", "create", "--no-progress", `${w.s.pool}/${w.s.namespace}/${imageOf(uriOf(a))}@leaked-${randomUUID()}`]);
    await keep(w, a);
  },
  // A tombstone whose snapshots are all gone: to the trash.
  "trash-move": async (w) => {
    const a = await withData(w, 0x31);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: w.s.sr, key: a.key });
    const clone = await call<WireVolume>("Volume.clone", { sr: w.s.sr, key: snap.key });
    await call("Volume.destroy", { sr: w.s.sr, key: a.key });
    await call("Volume.destroy", { sr: w.s.sr, key: snap.key });
    await keep(w, clone);
  },
  // An orphaned clone: a native revert, then the snapshot destroyed.
  flatten: async (w) => {
    const a = await withData(w, 0x41);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: w.s.sr, key: a.key });
    const sum = await checksum(uriOf(snap));
    writePattern(uriOf(a), 0x42, 0, 8 * MiB);
    await call("Volume.revert", { sr: w.s.sr, key: a.key, snapshot: snap.key });
    await call("Volume.destroy", { sr: w.s.sr, key: snap.key });
    const now = await call<WireVolume>("Volume.stat", { sr: w.s.sr, key: a.key });
    w.data.set(uriOf(now), sum);
  },
  // A plain destroyed head, in the trash with nothing reading it.
  "trash-purge": async (w) => {
    const a = await withData(w, 0x51);
    const b = await withData(w, 0x52);
    await call("Volume.destroy", { sr: w.s.sr, key: a.key });
    await keep(w, b);
  },
  // An entry of a key that no volume has (as a Volume.set racing a destroy leaves).
  "drop-entry": async (w) => {
    const a = await withData(w, 0x61);
    const { conf } = inject("ceph");
    execFileSync("rados", ["--conf", conf, "--pool", w.s.pool, "--namespace", w.s.namespace, "setomapval", "ceph_rbd_sr", `key:${randomUUID()}:stray`, "x"]);
    await keep(w, a);
  },
};
// The middle of a trash move: same world as trash-move.
worlds["trash-moved"] = worlds["trash-move"] as (w: World) => Promise<void>;

async function gcRun(s: TestSr, env: Record<string, string> = {}): Promise<VerbRun> {
  return runAdmin(["gc", "run", "--sr", s.sr, "--json"], { ...GC, ...env });
}

// Tombstones whose image still has a snapshot some record references are legitimately kept.
function settled(s: TestSr): { ok: boolean; why: string } {
  const v = inspectSr(s.pool, s.namespace);
  const problems = problemsOf(v);
  const referenced = new Set([...v.records.values()].filter((r) => r.snap).map((r) => r.image));
  const idle = [...v.tombs].filter((t) => !referenced.has(t));
  const trash = trashOf(s.pool, s.namespace);
  const ok = problems.length === 0 && idle.length === 0;
  return { ok, why: `problems ${JSON.stringify(problems)}, idle tombstones ${JSON.stringify(idle)}, trash ${trash.length}` };
}

// Passes until the SR is settled, the last one without failures; then the snapshots go too and
// everything must be collected: no tombstone, nothing in the trash.
async function converge(w: World): Promise<void> {
  const s = w.s;
  let last: VerbRun | undefined;
  for (let i = 0; i < 6; i++) {
    last = await gcRun(s);
    expect(last.code, last.stderr.slice(-1500)).toBe(0);
    if (settled(s).ok && (last.json as { failed: string[] }).failed.length === 0) break;
    await sleep(500);
  }
  expect((last?.json as { failed: string[] }).failed).toEqual([]);
  const first = settled(s);
  expect(first.ok, first.why).toBe(true);
  for (const [uri, sum] of w.data) expect(await checksum(uri), uri).toBe(sum);
  // Now without the snapshots: everything goes.
  for (const v of await call<WireVolume[]>("SR.ls", { sr: s.sr })) if (!v.read_write) await call("Volume.destroy", { sr: s.sr, key: v.key });
  const heads = [...w.data.keys()].filter((u) => !/[?&]snap=/.test(u));
  let why = "";
  for (let i = 0; i < 8; i++) {
    const r = await gcRun(s);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const v = inspectSr(s.pool, s.namespace);
    const trash = trashOf(s.pool, s.namespace);
    why = `tombstones ${[...v.tombs].join(" ")}; trash ${trash.map((t) => t.name).join(" ")}; problems ${problemsOf(v).join("; ")}`;
    if (v.tombs.size === 0 && trash.length === 0 && problemsOf(v).length === 0) {
      why = "";
      break;
    }
    await sleep(500);
  }
  expect(why).toBe("");
  for (const uri of heads) expect(await checksum(uri), uri).toBe(w.data.get(uri));
}

afterAll(() => {
  summary("gc-crash", {
    boundaries: figures.tried,
    reached: figures.reached,
    converged: figures.converged,
    unreachable: figures.unreachable.join(",") || "none",
  });
});

describe.concurrent("the GC killed at each action converges on its next passes", { timeout: 600_000 }, () => {
  it.for(["reclaim", "snap-remove", "trash-move", "trash-moved", "flatten", "trash-purge", "drop-entry"])("gc:%s", async (kind, { expect }) => {
    const w: World = { s: await makeSr(), data: new Map() };
    await (worlds[kind] as (w: World) => Promise<void>)(w);
    figures.tried++;
    const killed = await gcRun(w.s, { CEPH_RBD_CRASH_AT: `gc:${kind}` });
    if (killed.code !== null) figures.unreachable.push(kind);
    expect(killed.code, `gc run should have been killed at gc:${kind}: ${killed.stdout.slice(0, 500)}`).toBeNull();
    figures.reached++;
    // The dead pass's gc lock lapses with its lease.
    await sleep(LEASE_S * 1000 + 500);
    await converge(w);
    figures.converged++;
  });

  it("without a crash, a tombstone that is itself a clone of a destroyed parent is collected without a failing pass", async ({ expect }) => {
    const w: World = { s: await makeSr(), data: new Map() };
    await (worlds.reclaim as (w: World) => Promise<void>)(w);
    const r = await gcRun(w.s);
    expect(r.code, r.stdout).toBe(0);
    expect((r.json as { failed: string[] }).failed).toEqual([]);
    await converge(w);
  });
});

describe("Datapath.activate killed between starting the export and recording it", () => {
  it("the same host's next activate succeeds, the data is served, and the SR converges", { timeout: 300_000 }, async () => {
    const s = await makeSr({ datapath: "rbd+nbd" });
    const run = mkdtempSync(join(tmpdir(), "gc-crash-dp-"));
    const host = { CEPH_RBD_HOST_UUID: "dddddddd-4444-4444-8444-dddddddddddd", CEPH_RBD_RUN_DIR: run, CEPH_RBD_LOCK_LEASE: "2" };
    const v = await create(s);
    writePattern(v.uri.find((u) => u.startsWith("rbd://")) ?? "", 0x7c, 0, 8 * MiB);
    const uri = v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
    const dp = (verb: string, env: Record<string, string> = {}) =>
      runExecutable(join(DATAPATH_DIR("rbd+nbd"), `Datapath.${verb}`), JSON.stringify({ dbg: `gc-crash-${verb}`, uri, domain: "5" }), ["--json"], {
        ...host,
        ...env,
      });
    const attached = await dp("attach");
    expect(attached.code, attached.stdout).toBe(0);
    figures.tried++;
    const killed = await dp("activate", { CEPH_RBD_CRASH_AT: "activate:started" });
    if (killed.code !== null) figures.unreachable.push("activate:started");
    expect(killed.code, `activate should have been killed: ${killed.stdout}`).toBeNull();
    figures.reached++;
    // Killed before the final record: only this host's claim, made before the start, is there.
    const { conf } = inject("ceph");
    const omap = () =>
      execFileSync("rados", ["--conf", conf, "--pool", s.pool, "--namespace", s.namespace, "listomapkeys", "ceph_rbd_sr"], { encoding: "utf8" }).split("\n");
    expect(omap().filter((k) => k.startsWith("act:"))).toEqual([`act:${v.key}`]);
    await sleep(LEASE_S * 1000 + 500);
    const again = await dp("activate");
    expect(again.code, again.stdout).toBe(0);
    expect(omap()).toContain(`act:${v.key}`);
    // The export serves the volume's data.
    const nbd = ((attached.json as { implementations: Array<[string, { uri?: string }]> }).implementations.find(([k]) => k === "Nbd")?.[1].uri ?? "").match(
      /^nbd:unix:(.+):exportname=(.+)$/,
    );
    const read = execFileSync("qemu-io", ["-f", "raw", "-c", "read -P 0x7c 0 8M", `nbd+unix:///${nbd?.[2]}?socket=${nbd?.[1]}`], { encoding: "utf8" });
    expect(read).toMatch(/read 8388608\/8388608/);
    expect(read).not.toMatch(/verification failed/i);
    for (const verb of ["deactivate", "detach"]) expect((await dp(verb)).code).toBe(0);
    expect(readdirSync(join(run, "nbd"))).toEqual([]);
    expect(omap().filter((k) => k.startsWith("act:"))).toEqual([]);
    await call("SR.stat", { sr: s.sr }, { CEPH_RBD_LOCK_LEASE: "1" });
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
    figures.converged++;
    rmSync(run, { recursive: true, force: true });
  });
});
