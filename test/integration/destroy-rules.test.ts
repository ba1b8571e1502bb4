// Volume.destroy's two rules on a real cluster, and the GC's defence behind the first:
//  - a volume active on any host (its datapath's `act:<key>` record) is not destroyed: a clear
//    error, nothing changed, the running disk's data intact; after deactivate it goes;
//  - a key this SR never had is destroyed without error (a warning in SMlog), changing nothing;
//  - a tombstone whose image is a live head, or whose volume is still active, is never reclaimed
//    or trashed by the GC, whether the plan sees it or it appears between plan and action.
// Activations are real (the rbd+nbd datapath, as a host, with CEPH_RBD_HOST_UUID and a run
// directory of its own) except where a record written directly stands for another host's
// activation, or for one that a damaged or racing state left behind.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UNREADABLE_HOST } from "../../plugins/wire/sr-object.js";
import { trashOf } from "../helpers/inspect.js";
import { checksum, imageOf, writePattern } from "../helpers/rbd-data.js";
import { ADMIN, call, DATAPATH_DIR, runAdmin, runExecutable, runVerb, type WireError } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
const HOST_A = "aaaaaaaa-5555-4555-8555-aaaaaaaaaaaa";
const HOST_B = "bbbbbbbb-6666-4666-8666-bbbbbbbbbbbb";
let s: TestSr;
let run: string;

beforeAll(async () => {
  s = await makeSr({ datapath: "rbd+nbd" });
  run = mkdtempSync(join(tmpdir(), "destroy-run-"));
});

const rados = (...args: string[]) => execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, ...args], { encoding: "utf8" });
const rbdJson = <T>(...args: string[]): T => JSON.parse(execFileSync("rbd", ["--conf", s.conf, ...args, "--format", "json"], { encoding: "utf8" })) as T;
const headSize = (image: string) => rbdJson<{ size: number }>("info", `${s.pool}/${s.namespace}/${image}`).size;

// The SR as Ceph holds it: every omap entry with its value, every image and snapshot with its size.
const srNow = () => ({ omap: rados("listomapvals", "ceph_rbd_sr"), images: rbdJson<unknown[]>("ls", "--long", `${s.pool}/${s.namespace}`) });

const create = (name: string, mib = 8) => call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size: mib * MiB, sharable: false });
const destroy = (key: string) => runVerb("Volume.destroy", { dbg: "destroy-rules", sr: s.sr, key });

// The datapath of one simulated host, driven as xapi drives it (attach + activate to start,
// deactivate + detach to stop); activation returns the NBD export, for qemu-io.
const nbdOf = (v: WireVolume) => v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
async function datapath(verb: string, v: WireVolume, host: string): Promise<unknown> {
  const env = { CEPH_RBD_HOST_UUID: host, CEPH_RBD_RUN_DIR: join(run, host) };
  const r = await runExecutable(join(DATAPATH_DIR("rbd+nbd"), `Datapath.${verb}`), JSON.stringify({ dbg: verb, uri: nbdOf(v), domain: "7" }), ["--json"], env);
  if (r.code !== 0) throw new Error(`Datapath.${verb} exited ${r.code}: ${r.stdout}`);
  return r.json;
}
// What a failed test left active, stopped at the end: no export outlives the suite.
const active = new Map<string, { v: WireVolume; host: string }>();
afterAll(async () => {
  for (const { v, host } of active.values()) await deactivate(v, host).catch(() => undefined);
});
async function activate(v: WireVolume, host: string): Promise<string> {
  active.set(v.key, { v, host });
  const attached = (await datapath("attach", v, host)) as { implementations: Array<[string, { uri?: string }]> };
  await datapath("activate", v, host);
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(attached.implementations.find(([k]) => k === "Nbd")?.[1].uri ?? "");
  return `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`;
}
async function deactivate(v: WireVolume, host: string): Promise<void> {
  await datapath("deactivate", v, host);
  await datapath("detach", v, host);
  active.delete(v.key);
}
const readsBack = (nbd: string, byte: number, mib: number) =>
  expect(execFileSync("qemu-io", ["-r", "-f", "raw", "-c", `read -P 0x${byte.toString(16)} 0 ${mib}M`, nbd], { encoding: "utf8" })).toMatch(
    new RegExp(`read ${mib * MiB}/${mib * MiB}`),
  );

// A destroy refused because the volume is active on `host`: XCP-ng's VDIInUse, the host named.
async function refusedAsActive(key: string, host: string): Promise<void> {
  const r = await destroy(key);
  expect(r.code, r.stdout).not.toBe(0);
  const e = r.json as WireError;
  expect(e.code).toBe("SR_BACKEND_FAILURE_24");
  expect(e.params).toEqual(["VDIInUse", `volume ${key} is active on host ${host}; deactivate it before destroying it (a dead host: ceph-rbd-admin fence)`]);
}

async function succeeds(key: string): Promise<string> {
  const r = await destroy(key);
  expect(r.code, r.stdout).toBe(0);
  expect(r.json).toBeNull();
  return r.stderr;
}

// An activation record written directly, as another host's datapath (or damage) would leave it.
const activationOf = (host: string) => JSON.stringify({ host, domain: "3", scheme: "rbd+nbd", since: new Date().toISOString(), clients: [] });
const putActivation = (key: string, text: string) => rados("setomapval", "ceph_rbd_sr", `act:${key}`, text);
const dropActivation = (key: string) => rados("rmomapkey", "ceph_rbd_sr", `act:${key}`);

describe("Volume.destroy of an active volume", () => {
  it("is refused (VDIInUse, the host named) and changes nothing; after deactivate it succeeds, twice", async () => {
    const v = await create("running");
    writePattern(v.uri[0] ?? "", 0x5a, 0, 8 * MiB);
    const nbd = await activate(v, HOST_A);
    const before = srNow();
    const sum = await checksum(v.uri[0] ?? "");
    await refusedAsActive(v.key, HOST_A);
    expect(srNow()).toEqual(before);
    expect(await checksum(v.uri[0] ?? "")).toBe(sum);
    readsBack(nbd, 0x5a, 8);
    await deactivate(v, HOST_A);
    await succeeds(v.key);
    await succeeds(v.key);
    expect((await call<WireVolume[]>("SR.ls", { sr: s.sr })).map((x) => x.key)).not.toContain(v.key);
  });

  it("a snapshot exported read-only is refused the same; its head's destroy tombstones it, and the export keeps its data through a GC pass", async () => {
    const v = await create("with an active snapshot");
    writePattern(v.uri[0] ?? "", 0x21, 0, 8 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    writePattern(v.uri[0] ?? "", 0x22, 0, 8 * MiB);
    const nbd = await activate(snap, HOST_A);
    const before = srNow();
    await refusedAsActive(snap.key, HOST_A);
    expect(srNow()).toEqual(before);
    await succeeds(v.key);
    expect(rados("listomapkeys", "ceph_rbd_sr")).toContain(`tomb:${imageOf(v.uri[0] ?? "")}`);
    const r = await runAdmin(["gc", "run", "--sr", s.sr, "--json"]);
    expect((r.json as { done: string[] }).done.join("\n")).toContain(`reclaimed the head of ${imageOf(v.uri[0] ?? "")}`);
    readsBack(nbd, 0x21, 8);
    await deactivate(snap, HOST_A);
    await succeeds(snap.key);
  });

  it.each([
    { what: "another host's activation record", text: activationOf(HOST_B), host: HOST_B },
    { what: "an unreadable activation record", text: "{not json", host: UNREADABLE_HOST },
  ])("$what blocks it too, until the record goes", async ({ text, host }) => {
    const v = await create("elsewhere");
    putActivation(v.key, text);
    const before = srNow();
    await refusedAsActive(v.key, host);
    expect(srNow()).toEqual(before);
    dropActivation(v.key);
    await succeeds(v.key);
  });
});

describe("Volume.destroy of a key this SR never had", () => {
  it("succeeds with null and a warning in SMlog, changing nothing, however often", async () => {
    const key = randomUUID();
    const before = srNow();
    expect(await succeeds(key)).toMatch(new RegExp(`WARNING - \\[destroy-rules\\] Volume.destroy: no volume ${key} in this SR`));
    await succeeds(key);
    expect(srNow()).toEqual(before);
  });
});

describe("the GC and a tombstone still in use", () => {
  const gcRun = async (env: Record<string, string> = {}) =>
    (await runAdmin(["gc", "run", "--sr", s.sr, "--json"], env)).json as { done: string[]; failed: string[]; waiting: Array<{ item: string; why: string }> };
  const waitingOn = async (image: string) =>
    ((await runAdmin(["gc", "status", "--sr", s.sr, "--json"])).json as { waiting: Array<{ item: string; why: string }> }).waiting
      .filter((w) => w.item === image)
      .map((w) => w.why);

  // A destroyed head kept for its snapshot, with data in it for the GC to reclaim.
  async function tombstoneWithData() {
    const v = await create("destroyed");
    writePattern(v.uri[0] ?? "", 0x33, 0, 8 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    await succeeds(v.key);
    return { v, snap, image: imageOf(v.uri[0] ?? "") };
  }

  it("a tombstone on a live volume's image (damaged metadata) is neither reclaimed nor trashed; gc status says why", async () => {
    const v = await create("live");
    writePattern(v.uri[0] ?? "", 0x44, 0, 8 * MiB);
    const image = imageOf(v.uri[0] ?? "");
    const sum = await checksum(v.uri[0] ?? "");
    rados("setomapval", "ceph_rbd_sr", `tomb:${image}`, JSON.stringify({ image, key: randomUUID(), since: new Date().toISOString() }));
    const r = await gcRun();
    expect(r.done.join("\n")).not.toContain(image);
    expect(headSize(image)).toBe(8 * MiB);
    expect(await checksum(v.uri[0] ?? "")).toBe(sum);
    expect(trashOf(s.pool, s.namespace).map((t) => t.name)).not.toContain(image);
    expect(await waitingOn(image)).toEqual([`tombstone held: ${image} is the image of live volume ${v.key} (see fsck)`]);
    rados("rmomapkey", "ceph_rbd_sr", `tomb:${image}`);
  });

  it("a tombstone whose destroyed volume is still active is held until the activation goes", async () => {
    const { v, image } = await tombstoneWithData();
    putActivation(v.key, activationOf(HOST_B));
    const r = await gcRun();
    expect(r.done.join("\n")).not.toContain(image);
    expect(headSize(image)).toBe(8 * MiB);
    expect(r.waiting.filter((w) => w.item === image).map((w) => w.why)).toEqual([expect.stringContaining(`its volume ${v.key} is active on host ${HOST_B}`)]);
    dropActivation(v.key);
    expect((await gcRun()).done).toContain(`reclaimed the head of ${image}`);
    expect(headSize(image)).toBe(0);
  });

  it("a tombstone that comes into use between the plan and the reclaim is left alone", async () => {
    const { v, image } = await tombstoneWithData();
    const gc = spawn(ADMIN, ["gc", "run", "--sr", s.sr, "--json"], { env: { ...process.env, CEPH_RBD_PAUSE_AT: "gc:reclaim", CEPH_RBD_LOG_SYSLOG: "off" } });
    let out = "";
    gc.stdout.on("data", (d) => (out += d));
    const exited = new Promise((resolve) => gc.on("close", resolve));
    // Stopped at the reclaim, its plan made: the volume's activation appears now.
    const state = () => readFileSync(`/proc/${gc.pid}/stat`, "utf8").split(") ")[1]?.[0];
    for (const until = Date.now() + 60_000; state() !== "T" && Date.now() < until;) await sleep(50);
    expect(state()).toBe("T");
    putActivation(v.key, activationOf(HOST_B));
    gc.kill("SIGCONT");
    await exited;
    const r = JSON.parse(out) as { done: string[]; failed: string[] };
    expect(r.done.join("\n")).not.toContain(image);
    expect(r.failed).toEqual([
      expect.stringMatching(new RegExp(`^reclaim ${image}: left alone: tombstone held: its volume ${v.key} is active on host ${HOST_B}`)),
    ]);
    expect(headSize(image)).toBe(8 * MiB);
    dropActivation(v.key);
  });
});
