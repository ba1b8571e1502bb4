// Changed-block tracking: exact bitmaps from RBD's diff, as xapi's consumers read them.
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BLOCK, decodeBitmap, listChanged, rng, touched, writeAll, type Write } from "../helpers/cbt.js";
import { specOf } from "../helpers/rbd-data.js";
import { call } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
type CbtVolume = WireVolume & { cbt_enabled: boolean; volume_type: string };
let s: TestSr;
// An SR whose images have no object map (the features for old kernels' krbd): no fast-diff.
let old: TestSr;
const create = (size: number, at = s) => call<CbtVolume>("Volume.create", { sr: at.sr, name: "d", description: "", size, sharable: false });
const snapshot = (key: string, at = s) => call<CbtVolume>("Volume.snapshot", { sr: at.sr, key });
const enable = (key: string, at = s) => call("Volume.enable_cbt", { sr: at.sr, key });

beforeAll(async () => {
  s = await makeSr();
  old = await makeSr({ image_features: "layering,exclusive-lock" });
});

describe("Volume.enable_cbt and the records", () => {
  it("declares VDI_CONFIG_CBT, and every volume record says whether CBT is on", async () => {
    const q = await call<{ features: string[] }>("Plugin.Query", {});
    expect(q.features).toContain("VDI_CONFIG_CBT");
    const v = await create(4 * MiB);
    expect(v).toMatchObject({ cbt_enabled: false, volume_type: "Data" });
    await enable(v.key);
    const snap = await snapshot(v.key);
    expect(snap.cbt_enabled).toBe(true);
    const listed = await call<CbtVolume[]>("SR.ls", { sr: s.sr });
    for (const x of listed) expect(typeof x.cbt_enabled).toBe("boolean");
    expect(listed.find((x) => x.key === v.key)?.cbt_enabled).toBe(true);
  });
});

// One disk written whole (every object exists), CBT on, snapshotted; then `writes`, snapshotted
// again: the list between the two and between the first and the disk must be the touched set.
async function exactCase(size: number, writes: Write[], at = s): Promise<void> {
  const v = await create(size, at);
  await enable(v.key, at);
  writeAll(v.uri[0] ?? "", [[0, size, 0x11]]);
  const a = await snapshot(v.key, at);
  writeAll(v.uri[0] ?? "", writes);
  const b = await snapshot(v.key, at);
  const want = touched(writes);
  const ab = await listChanged(at.sr, a.key, b.key);
  expect(ab.granularity).toBe(BLOCK);
  expect(Buffer.from(ab.bitmap, "base64").length).toBe(size / BLOCK / 8);
  expect(decodeBitmap(ab.bitmap)).toEqual(want);
  expect(decodeBitmap((await listChanged(at.sr, a.key, v.key)).bitmap)).toEqual(want);
  expect(decodeBitmap((await listChanged(at.sr, b.key, v.key)).bitmap)).toEqual([]);
}

// Random writes of 512 B to 150 KiB at 512 B-aligned places.
const unaligned = (seed: number, size: number, count: number): Write[] => {
  const r = rng(seed);
  return Array.from({ length: count }, () => {
    const o = r(size / 512) * 512;
    return [o, Math.min(512 * (1 + r(300)), size - o), 0x33] as const;
  });
};

describe("Volume.list_changed_blocks is exact", () => {
  it("for 64 KiB-aligned writes at random offsets", async () => {
    const r = rng(20);
    const size = 64 * MiB;
    const writes: Write[] = Array.from({ length: 60 }, () => [r(size / BLOCK) * BLOCK, (1 + r(3)) * BLOCK, 0x22] as const).map(([o, l, b]) => [
      o,
      Math.min(l, size - o),
      b,
    ]);
    await exactCase(size, writes);
  });

  it("for unaligned writes: every touched block set, nothing else", async () => {
    await exactCase(32 * MiB, unaligned(21, 32 * MiB, 60));
  });

  it("on images without object map or fast-diff (slower, the same answer)", async () => {
    const info = await call<CbtVolume>("Volume.create", { sr: old.sr, name: "probe", description: "", size: 4 * MiB, sharable: false });
    expect(execFileSync("rbd", ["--conf", inject("ceph").conf, "info", specOf(info.uri[0] ?? "")], { encoding: "utf8" })).not.toMatch(/fast-diff|object-map/);
    await exactCase(32 * MiB, unaligned(23, 32 * MiB, 60), old);
  });

  // librbd's exact diff lists an object first written after the earlier snapshot from its start
  // to its highest written byte; the session narrows that to the blocks whose bytes differ.
  it.each([
    ["with fast-diff", () => s],
    ["without an object map", () => old],
  ])("for writes into objects that did not exist at the first snapshot: thin, grown, and a clone's (%s)", async (_, sr) => {
    const at = sr();
    const r = rng(22);
    // Distinct random blocks in [from, to) (bytes), none of `not`, each with its own non-zero byte
    // other than 0x11 (the filled parts' byte).
    const randomWrites = (from: number, to: number, count: number, not: ReadonlySet<number>): Write[] => {
      const picked = new Set<number>();
      while (picked.size < count) {
        const b = from / BLOCK + r((to - from) / BLOCK);
        if (!not.has(b)) picked.add(b);
      }
      return [...picked].map((b) => [b * BLOCK, BLOCK, 0x40 + r(0xc0)] as const);
    };
    const zeroNew = (40 * MiB) / BLOCK + 3;
    const zeroOld = 5;

    // A thin disk, 1 MiB written, then grown from 64 to 96 MiB: writes in its never-written part
    // and in the grown part.
    const v = await create(64 * MiB, at);
    await enable(v.key, at);
    writeAll(v.uri[0] ?? "", [[0, MiB, 0x11]]);
    const a = await snapshot(v.key, at);
    await call("Volume.resize", { sr: at.sr, key: v.key, new_size: 96 * MiB });
    const writes = [...randomWrites(4 * MiB, 64 * MiB, 20, new Set([zeroNew])), ...randomWrites(64 * MiB, 96 * MiB, 10, new Set())];
    // Zeros over the 0x11 written before `a` changed what the disk reads: listed. Zeros into an
    // object that did not exist at `a` left its content as it read then (zeros): not listed.
    const zeros: Write[] = [
      [zeroOld * BLOCK, BLOCK, 0],
      [zeroNew * BLOCK, BLOCK, 0],
    ];
    writeAll(v.uri[0] ?? "", [...writes, ...zeros]);
    const want = touched([...writes, [zeroOld * BLOCK, BLOCK, 0]]);
    const b = await snapshot(v.key, at);
    expect(decodeBitmap((await listChanged(at.sr, a.key, b.key)).bitmap)).toEqual(want);
    expect(decodeBitmap((await listChanged(at.sr, a.key, v.key)).bitmap)).toEqual(want);

    // A clone of a filled disk's snapshot, grown past its parent: its objects exist only in the
    // parent until written, and a read at the earlier point gives the parent's bytes (zeros past
    // the parent's overlap). Zeros over the parent's bytes change the content: listed; zeros in
    // the grown part do not: not listed. (librbd's copyup fills the clone's object at its earlier
    // snapshots too, so within the overlap the diff is exact already; past it, the objects are new.)
    const parent = await create(32 * MiB, at);
    writeAll(parent.uri[0] ?? "", [[0, 32 * MiB, 0x11]]);
    const ps = await snapshot(parent.key, at);
    const c = await call<CbtVolume>("Volume.clone", { sr: at.sr, key: ps.key });
    await call("Volume.resize", { sr: at.sr, key: c.key, new_size: 48 * MiB });
    await enable(c.key, at);
    const ca = await snapshot(c.key, at);
    const overParent = (20 * MiB) / BLOCK + 3;
    const pastParent = (40 * MiB) / BLOCK + 5;
    const cw = [...randomWrites(0, 48 * MiB, 30, new Set([overParent, pastParent])), [overParent * BLOCK, BLOCK, 0] as const];
    writeAll(c.uri[0] ?? "", [...cw, [pastParent * BLOCK, BLOCK, 0]]);
    expect(decodeBitmap((await listChanged(at.sr, ca.key, c.key)).bitmap)).toEqual(touched(cw));
  });
});
