// The GC's share of physical_utilisation (volume/volume/usage.ts): each pass measures a few
// writable volumes in turn, reading each again just before, and what it measured is what
// Volume.stat and SR.ls report.
import { beforeAll, describe, expect, it } from "vitest";
import { gcRun, MiB } from "../helpers/gc-run.js";
import { rbdDu, writePattern } from "../helpers/rbd-data.js";
import { call } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

let s: TestSr;
beforeAll(async () => {
  s = await makeSr();
});

describe("the GC's usage measurement", () => {
  it("measures the writable volumes, whose Volume.stat then reports what `rbd du` does", async () => {
    const a = await call<WireVolume>("Volume.create", { sr: s.sr, name: "a", description: "", size: 32 * MiB, sharable: false });
    const b = await call<WireVolume>("Volume.create", { sr: s.sr, name: "b", description: "", size: 32 * MiB, sharable: false });
    writePattern(a.uri[0] ?? "", 0x5a, 0, 12 * MiB);
    writePattern(b.uri[0] ?? "", 0x5b, 0, 4 * MiB);
    expect((await call<WireVolume>("Volume.stat", { sr: s.sr, key: a.key })).physical_utilisation).toBe(0);
    const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: b.key });
    expect((await gcRun(s)).done.join("\n")).toMatch(/measured the usage of 2 volume\(s\)/);
    for (const v of [a, b]) expect((await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key })).physical_utilisation).toBe(rbdDu(v.uri[0] ?? ""));
    expect((await call<WireVolume>("Volume.stat", { sr: s.sr, key: a.key })).physical_utilisation).toBeGreaterThanOrEqual(12 * MiB);
    // A snapshot volume is not the GC's to measure (Volume.snapshot did).
    const listed = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    expect(listed.find((v) => v.key === snap.key)?.physical_utilisation).toBe(rbdDu(snap.uri[0] ?? ""));
  });
});
