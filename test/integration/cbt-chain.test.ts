// Where the chain between two points is broken, Volume.list_changed_blocks fails with
// CBT_chain_broken (the consumer then takes a full backup) and never answers a smaller bitmap;
// hostile input gets a structured error and changes nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBitmap, listChanged, touched, writeAll, type Write } from "../helpers/cbt.js";
import { omapKeys } from "../helpers/rbd-data.js";
import { call, fail } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
let s: TestSr;
const vcall = <T = null>(verb: string, p: Record<string, unknown>) => call<T>(verb, { sr: s.sr, ...p });
const snapshot = (key: string) => vcall<WireVolume>("Volume.snapshot", { key });
const lcb = (key: string, key2: string, offset = 0, length = -1) => fail("Volume.list_changed_blocks", { dbg: "t", sr: s.sr, key, key2, offset, length });

// A disk with CBT on, written whole, and its first snapshot.
async function tracked(): Promise<{ v: WireVolume; a: WireVolume }> {
  const v = await vcall<WireVolume>("Volume.create", { name: "d", description: "", size: 8 * MiB, sharable: false });
  await vcall("Volume.enable_cbt", { key: v.key });
  writeAll(v.uri[0] ?? "", [[0, 8 * MiB, 0x11]]);
  return { v, a: await snapshot(v.key) };
}
const broken = (e: { code: string; params: string[] }) => {
  expect(e.code).toBe("SR_BACKEND_FAILURE");
  expect(e.params[0]).toBe("CBT_chain_broken");
};
const W: Write[] = [[MiB, 4096, 0x22]];

beforeAll(async () => {
  s = await makeSr();
});

describe("a broken chain fails, never a smaller bitmap", () => {
  it("a revert in between", async () => {
    const { v, a } = await tracked();
    writeAll(v.uri[0] ?? "", W);
    const b = await snapshot(v.key);
    await vcall("Volume.revert", { key: v.key, snapshot: a.key });
    const head = await vcall<WireVolume & { cbt_enabled: boolean }>("Volume.stat", { key: v.key });
    expect(head.cbt_enabled).toBe(true);
    broken(await lcb(a.key, v.key));
    broken(await lcb(b.key, v.key));
    const c = await snapshot(v.key);
    broken(await lcb(a.key, c.key));
    broken(await lcb(b.key, c.key));
    // After the revert the chain starts again from the next snapshot.
    writeAll(head.uri[0] ?? "", W);
    expect(decodeBitmap((await listChanged(s.sr, c.key, v.key)).bitmap)).toEqual(touched(W));
  });

  it("a clone, and another disk", async () => {
    const { a } = await tracked();
    const w = await vcall<WireVolume>("Volume.clone", { key: a.key });
    await vcall("Volume.enable_cbt", { key: w.key });
    const ws = await snapshot(w.key);
    broken(await lcb(a.key, w.key));
    broken(await lcb(a.key, ws.key));
    const other = await tracked();
    broken(await lcb(a.key, other.a.key));
  });

  it("CBT disabled in between, on the disk or on a snapshot", async () => {
    const { v, a } = await tracked();
    await vcall("Volume.disable_cbt", { key: v.key });
    broken(await lcb(a.key, v.key));
    writeAll(v.uri[0] ?? "", W);
    await vcall("Volume.enable_cbt", { key: v.key });
    const b = await snapshot(v.key);
    broken(await lcb(a.key, b.key));
    broken(await lcb(a.key, v.key));
    await vcall("Volume.disable_cbt", { key: b.key });
    broken(await lcb(b.key, v.key));
  });

  it("the wrong order, and the disk as the first volume", async () => {
    const { v, a } = await tracked();
    writeAll(v.uri[0] ?? "", W);
    const b = await snapshot(v.key);
    broken(await lcb(b.key, a.key));
    broken(await lcb(v.key, a.key));
    broken(await lcb(v.key, v.key));
  });

  it("a destroyed end is a missing volume; a destroyed snapshot in between breaks nothing", async () => {
    const { v, a } = await tracked();
    writeAll(v.uri[0] ?? "", W);
    const b = await snapshot(v.key);
    const W2: Write[] = [[5 * MiB + 100, 70000, 0x33]];
    writeAll(v.uri[0] ?? "", W2);
    const c = await snapshot(v.key);
    await vcall("Volume.destroy", { key: b.key });
    expect(decodeBitmap((await listChanged(s.sr, a.key, c.key)).bitmap)).toEqual(touched([...W, ...W2]));
    await vcall("Volume.destroy", { key: a.key });
    const e = await lcb(a.key, c.key);
    expect(e.params[0]).toBe("Volume_does_not_exist");
  });
});

describe("a resize in between", () => {
  it("keeps the chain: the bitmap covers the new size and lists the writes in the grown part", async () => {
    const { v, a } = await tracked();
    await vcall("Volume.resize", { key: v.key, new_size: 16 * MiB });
    const W2: Write[] = [
      [MiB, 4096, 0x66],
      [12 * MiB + 5, 70000, 0x66],
    ];
    writeAll(v.uri[0] ?? "", W2);
    const got = await listChanged(s.sr, a.key, v.key);
    expect(Buffer.from(got.bitmap, "base64").length).toBe((16 * MiB) / 65536 / 8);
    expect(decodeBitmap(got.bitmap)).toEqual(touched(W2));
  });
});

describe("enable, disable, enable", () => {
  it("a repeated enable keeps the chain; after disable and enable it starts from the next snapshot", async () => {
    const { v, a } = await tracked();
    await vcall("Volume.enable_cbt", { key: v.key });
    writeAll(v.uri[0] ?? "", W);
    expect(decodeBitmap((await listChanged(s.sr, a.key, v.key)).bitmap)).toEqual(touched(W));
    await vcall("Volume.disable_cbt", { key: v.key });
    await vcall("Volume.disable_cbt", { key: v.key });
    expect((await vcall<{ cbt_enabled: boolean }>("Volume.stat", { key: v.key })).cbt_enabled).toBe(false);
    await vcall("Volume.enable_cbt", { key: v.key });
    broken(await lcb(a.key, v.key));
    const b = await snapshot(v.key);
    const W2: Write[] = [[3 * MiB, 3 * 65536, 0x44]];
    writeAll(v.uri[0] ?? "", W2);
    expect(decodeBitmap((await listChanged(s.sr, b.key, v.key)).bitmap)).toEqual(touched(W2));
  });

  it("is refused on a snapshot, nothing changed", async () => {
    const { a } = await tracked();
    const e = await fail("Volume.enable_cbt", { dbg: "t", sr: s.sr, key: a.key });
    expect(e.params[0]).toBe("Invalid_request");
  });
});

describe("hostile input: a structured error, nothing changed", () => {
  it("a key of another SR, negative or impossible offsets, the wrong types", async () => {
    const { v, a } = await tracked();
    const elsewhere = await makeSr();
    const x = await call<WireVolume>("Volume.create", { sr: elsewhere.sr, name: "x", description: "", size: 4 * MiB, sharable: false });
    await call("Volume.enable_cbt", { sr: elsewhere.sr, key: x.key });
    const xs = await call<WireVolume>("Volume.snapshot", { sr: elsewhere.sr, key: x.key });
    const before = { ls: await vcall("SR.ls", {}), omap: omapKeys(s.pool, s.namespace).sort() };
    expect((await lcb(xs.key, v.key)).params[0]).toBe("Volume_does_not_exist");
    expect((await lcb(a.key, xs.key)).params[0]).toBe("Volume_does_not_exist");
    expect((await lcb(a.key, v.key, -1)).params[0]).toBe("Invalid_parameters");
    expect((await lcb(a.key, v.key, -65536, 65536)).params[0]).toBe("Invalid_parameters");
    expect((await lcb(a.key, v.key, 9 * MiB, 1)).params[0]).toBe("Invalid_request");
    for (const bad of [{ offset: "0" }, { length: 1.5 }, { key2: "" }, { extra: 1 }]) {
      const e = await fail("Volume.list_changed_blocks", { dbg: "t", sr: s.sr, key: a.key, key2: v.key, offset: 0, length: -1, ...bad });
      expect(e.params[0]).toBe("Invalid_parameters");
    }
    for (const verb of ["Volume.enable_cbt", "Volume.disable_cbt", "Volume.data_destroy"])
      expect((await fail(verb, { dbg: "t", sr: s.sr, key: xs.key })).params[0]).toBe("Volume_does_not_exist");
    expect({ ls: await vcall("SR.ls", {}), omap: omapKeys(s.pool, s.namespace).sort() }).toEqual(before);
  });

  it("an extent: the bitmap covers it widened to whole blocks; a negative length runs to the end", async () => {
    const { v, a } = await tracked();
    const Wx: Write[] = [
      [65536 + 10, 10, 0x55],
      [7 * MiB, 65536, 0x55],
    ];
    writeAll(v.uri[0] ?? "", Wx);
    expect(decodeBitmap((await listChanged(s.sr, a.key, v.key, 65536 + 100, 5)).bitmap)).toEqual([0]);
    expect(Buffer.from((await listChanged(s.sr, a.key, v.key, 65536 + 100, 5)).bitmap, "base64").length).toBe(1);
    const tail = await listChanged(s.sr, a.key, v.key, 6 * MiB, -7);
    expect(decodeBitmap(tail.bitmap)).toEqual([16]);
  });
});
