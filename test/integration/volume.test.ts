// Volume verbs on a real cluster, alone and in the sequences xapi issues (spec section 9).
import { beforeAll, describe, expect, it } from "vitest";
import { call, fail, runAdmin, runVerb } from "../helpers/run-verb.js";
import { checksum, omapKeys, rbdDu, rbdImages, writePattern } from "../helpers/rbd-data.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
let s: TestSr;
const create = (size: number, extra: Partial<{ name: string; description: string; sharable: boolean }> = {}) =>
  call<WireVolume>("Volume.create", { sr: s.sr, name: "disk", description: "", size, sharable: false, ...extra });
const stat = (key: string) => call<WireVolume>("Volume.stat", { sr: s.sr, key });
const ls = () => call<WireVolume[]>("SR.ls", { sr: s.sr });

beforeAll(async () => {
  s = await makeSr();
});

describe("Volume.create and Volume.stat", () => {
  it("rounds the size up to whole 4 MiB objects and returns the real size", async () => {
    const v = await create(10 * MiB + 1, { name: 'a "b" $(c)\n', description: "é∂ 🚀", sharable: true });
    expect(v.virtual_size).toBe(12 * MiB);
    expect(v).toMatchObject({ name: 'a "b" $(c)\n', description: "é∂ 🚀", sharable: true, read_write: true, keys: {}, physical_utilisation: 0 });
    expect(v.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(v.uri[0]).toMatch(/^rbd:\/\//);
    expect(v.uri[1]).toMatch(/^rbd\+nbd:\/\//);
    expect(v.uri.join(" ")).not.toMatch(/key=AQ|secret/i);
    expect(await stat(v.key)).toEqual(v);
  });

  it("accepts a zero size and a name as long as its cap (4 KiB), and refuses impossible sizes without leaving anything", async () => {
    const before = rbdImages(s.pool, s.namespace).length;
    const zero = await create(0, { name: "n".repeat(4096) });
    expect(zero.virtual_size).toBe(0);
    expect((await stat(zero.key)).name).toHaveLength(4096);
    for (const size of [-1, 2 ** 50]) {
      const e = await fail("Volume.create", { dbg: "t", sr: s.sr, name: "x", description: "", size, sharable: false });
      expect(e.params[0]).toBe("Invalid_request");
    }
    expect(rbdImages(s.pool, s.namespace)).toHaveLength(before + 1);
  });

  it("answers Volume_does_not_exist for an unknown key", async () => {
    const e = await fail("Volume.stat", { dbg: "t", sr: s.sr, key: "00000000-0000-4000-8000-000000000000" });
    expect(e.params).toEqual(["Volume_does_not_exist", "00000000-0000-4000-8000-000000000000"]);
  });
});

describe("keys, names, descriptions", () => {
  it("stores xapi's keys verbatim (a value as long as its cap, 64 KiB), one by one, and unsets them", async () => {
    const v = await create(4 * MiB);
    const odd = "tags:a/b\nc=d ✓";
    await call("Volume.set", { sr: s.sr, key: v.key, k: "vdi-type", v: "user" });
    await call("Volume.set", { sr: s.sr, key: v.key, k: odd, v: "x".repeat(65536) });
    await call("Volume.set", { sr: s.sr, key: v.key, k: "_sm_config_foo", v: "" });
    expect((await stat(v.key)).keys).toEqual({ "vdi-type": "user", [odd]: "x".repeat(65536), _sm_config_foo: "" });
    await call("Volume.unset", { sr: s.sr, key: v.key, k: odd });
    await call("Volume.unset", { sr: s.sr, key: v.key, k: "never-set" });
    expect((await stat(v.key)).keys).toEqual({ "vdi-type": "user", _sm_config_foo: "" });
  });

  it("renames and redescribes", async () => {
    const v = await create(4 * MiB);
    await call("Volume.set_name", { sr: s.sr, key: v.key, new_name: "renamed" });
    await call("Volume.set_description", { sr: s.sr, key: v.key, new_description: "new\tdesc" });
    expect(await stat(v.key)).toMatchObject({ name: "renamed", description: "new\tdesc" });
  });
});

describe("Volume.resize", () => {
  it("grows (rounded), refuses a shrink with SR_BACKEND_FAILURE_79, and refuses snapshots", async () => {
    const v = await create(8 * MiB);
    await call("Volume.resize", { sr: s.sr, key: v.key, new_size: 20 * MiB + 5 });
    expect((await stat(v.key)).virtual_size).toBe(24 * MiB);
    const e = await fail("Volume.resize", { dbg: "t", sr: s.sr, key: v.key, new_size: 4 * MiB });
    expect(e.code).toBe("SR_BACKEND_FAILURE_79");
    expect((await stat(v.key)).virtual_size).toBe(24 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const r = await fail("Volume.resize", { dbg: "t", sr: s.sr, key: snap.key, new_size: 40 * MiB });
    expect(r.params[0]).toBe("Invalid_request");
  });
});

describe("snapshots and clones", () => {
  it("snapshots are read-only copies of the content, with name and description but no keys", async () => {
    const v = await create(8 * MiB, { name: "src", description: "the source" });
    await call("Volume.set", { sr: s.sr, key: v.key, k: "vdi-type", v: "user" });
    writePattern(v.uri[0] ?? "", 0x11, 0, 4 * MiB);
    const before = await checksum(v.uri[0] ?? "");
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    expect(snap).toMatchObject({ name: "src", description: "the source", read_write: false, keys: {}, virtual_size: v.virtual_size });
    expect(snap.key).not.toBe(v.key);
    writePattern(v.uri[0] ?? "", 0x22, 0, 8 * MiB);
    expect(await checksum(snap.uri[0] ?? "")).toBe(before);
    expect(await checksum(v.uri[0] ?? "")).not.toBe(before);
    expect(snap.physical_utilisation).toBe(4 * MiB);
  });

  it("clones both snapshots and writable volumes into independent writable volumes", async () => {
    const v = await create(8 * MiB, { name: "base" });
    writePattern(v.uri[0] ?? "", 0x33, 0, 8 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const fromSnap = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    const fromHead = await call<WireVolume>("Volume.clone", { sr: s.sr, key: v.key });
    const sum = await checksum(v.uri[0] ?? "");
    for (const c of [fromSnap, fromHead]) {
      expect(c).toMatchObject({ read_write: true, name: "base", keys: {} });
      expect(await checksum(c.uri[0] ?? "")).toBe(sum);
    }
    writePattern(fromHead.uri[0] ?? "", 0x44, 0, MiB);
    expect(await checksum(v.uri[0] ?? "")).toBe(sum);
    // The temporary snapshot of a writable clone source is not a volume and not left behind.
    expect((await ls()).filter((x) => x.uri[0]?.includes("clone-"))).toEqual([]);
  });
});

describe("physical_utilisation", () => {
  it("is what `rbd du` reports: a snapshot's own data when taken, each head's at a GC pass, a clone's without its parent's", async () => {
    const v = await create(16 * MiB, { name: "du" });
    const uri = (x: WireVolume) => x.uri[0] ?? "";
    writePattern(uri(v), 0x61, 0, 8 * MiB);
    const s1 = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    writePattern(uri(v), 0x62, 4 * MiB, 8 * MiB);
    const s2 = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    writePattern(uri(v), 0x63, 12 * MiB, MiB);
    const c = await call<WireVolume>("Volume.clone", { sr: s.sr, key: s1.key });
    writePattern(uri(c), 0x64, 0, MiB);
    // Whole 4 MiB objects, as fast-diff counts them: s1 wrote objects 0-1, s2 objects 1-2 since
    // s1, the head object 3 since s2, the clone its object 0.
    expect([s1.physical_utilisation, s2.physical_utilisation]).toEqual([8 * MiB, 8 * MiB]);
    expect([s1, s2].map((x) => rbdDu(uri(x)))).toEqual([8 * MiB, 8 * MiB]);
    // The GC measures a batch of heads per pass, in turn.
    const want = [4 * MiB, 4 * MiB];
    let got: number[] = [];
    for (let pass = 0; pass < 12 && JSON.stringify(got) !== JSON.stringify(want); pass++) {
      expect((await runAdmin(["gc", "run", "--sr", s.sr, "--json", "--no-wait"])).code).toBe(0);
      got = (await Promise.all([stat(v.key), stat(c.key)])).map((x) => x.physical_utilisation);
    }
    expect(got).toEqual(want);
    expect([v, c].map((x) => rbdDu(uri(x)))).toEqual(want);
  });

  it("is 0 for a zero-sized volume's snapshot, measured without error (librbd's diff would abort on it)", async () => {
    const zero = await create(0, { name: "zero" });
    const r = await runVerb("Volume.snapshot", { dbg: "zero", sr: s.sr, key: zero.key });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("could not measure");
    expect((r.json as WireVolume).physical_utilisation).toBe(0);
  });
});

describe("Volume.destroy", () => {
  it("is idempotent, and succeeds for keys it never had without writing anything", async () => {
    const v = await create(4 * MiB);
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    expect((await ls()).map((x) => x.key)).not.toContain(v.key);
    expect(omapKeys(s.pool, s.namespace).filter((k) => k.includes(v.key) && !k.startsWith("gone:"))).toEqual([]);
    const unknown = "11111111-1111-4111-8111-111111111111";
    expect(await call("Volume.destroy", { sr: s.sr, key: unknown })).toBeNull();
    expect(omapKeys(s.pool, s.namespace).filter((k) => k.includes(unknown))).toEqual([]);
  });

  it("never fails because of snapshots or clones; the head becomes a hidden tombstone", async () => {
    const v = await create(8 * MiB);
    writePattern(v.uri[0] ?? "", 0x55, 0, 8 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    const sum = await checksum(snap.uri[0] ?? "");
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    const keys = (await ls()).map((x) => x.key);
    expect(keys).not.toContain(v.key);
    expect(keys).toEqual(expect.arrayContaining([snap.key, clone.key]));
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
    expect(await checksum(clone.uri[0] ?? "")).toBe(sum);
    expect(omapKeys(s.pool, s.namespace)).toContain(`tomb:${/\/([^/?]+)\?/.exec(v.uri[0] ?? "")?.[1]}`);
    // Destroying the snapshot a clone reads from is allowed too (clone v2 keeps the data).
    await call("Volume.destroy", { sr: s.sr, key: snap.key });
    expect(await checksum(clone.uri[0] ?? "")).toBe(sum);
  });
});

describe("xapi's sequences (spec section 9)", () => {
  it("vdi-create, vdi-snapshot with its five Volume.set calls, vdi-clone, vdi-resize, vdi-destroy twice, sr-scan", async () => {
    const v = await create(16 * MiB, { name: "vm disk" });
    await call("Volume.set", { sr: s.sr, key: v.key, k: "vdi-type", v: "user" });
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const sets = { snapshot_time: "20261121T08:00:00Z", is_a_snapshot: "true", snapshot_of: v.key, content_id: "c0ffee", "vdi-type": "user" };
    for (const [k, val] of Object.entries(sets)) await call("Volume.set", { sr: s.sr, key: snap.key, k, v: val });
    expect((await stat(snap.key)).keys).toEqual(sets);
    expect((await stat(v.key)).keys).toEqual({ "vdi-type": "user" });
    const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: v.key });
    expect(clone.keys).toEqual({});
    await call("Volume.resize", { sr: s.sr, key: clone.key, new_size: 32 * MiB });
    expect((await stat(clone.key)).virtual_size).toBe(32 * MiB);
    await call("Volume.destroy", { sr: s.sr, key: clone.key });
    await call("Volume.destroy", { sr: s.sr, key: clone.key });
    const st = await call<{ health: string[] }>("SR.stat", { sr: s.sr });
    expect(st.health[0]).toBe("Healthy");
    const scan = (await ls()).map((x) => x.key);
    expect(scan).toEqual(expect.arrayContaining([v.key, snap.key]));
    expect(scan).not.toContain(clone.key);
  });

  it("XCP-ng 8.3 revert: destroy the disk, clone its snapshot; the clone holds the snapshot's data", async () => {
    const v = await create(16 * MiB, { name: "os disk" });
    writePattern(v.uri[0] ?? "", 0x5a, 0, 16 * MiB);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });
    const atSnapshot = await checksum(v.uri[0] ?? "");
    writePattern(v.uri[0] ?? "", 0xa5, 4 * MiB, 8 * MiB);
    expect(await checksum(v.uri[0] ?? "")).not.toBe(atSnapshot);
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    const reverted = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    expect(reverted.read_write).toBe(true);
    expect(await checksum(reverted.uri[0] ?? "")).toBe(atSnapshot);
    const listed = await ls();
    expect(listed.map((x) => x.key)).toEqual(expect.arrayContaining([snap.key, reverted.key]));
    expect(listed.map((x) => x.key)).not.toContain(v.key);
    // No tombstone, no internal object is ever listed.
    for (const x of listed) expect(x.uri[0]).toMatch(/\/vol-[0-9a-f-]{36}\?/);
  });
});
