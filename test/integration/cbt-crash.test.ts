// Volume.data_destroy killed (SIGKILL, as a host crash) at each of its step boundaries, and the
// other CBT writes likewise: the SR converges, the volume is as before or as after (never in
// between), the call repeated succeeds, and the list from the snapshot still answers exactly.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeBitmap, listChanged, touched, writeAll, type Write } from "../helpers/cbt.js";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { call, runVerb } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
// A short lease, so that the dead process's lock is stale within a second.
const LEASE = { CEPH_RBD_LOCK_LEASE: "1" };
type CbtVolume = WireVolume & { cbt_enabled: boolean; volume_type: string };
let s: TestSr;
const vcall = <T = null>(verb: string, p: Record<string, unknown>) => call<T>(verb, { sr: s.sr, ...p }, LEASE);
const W: Write[] = [[3 * MiB + 7, 70000, 0x22]];

beforeAll(async () => {
  s = await makeSr();
});

async function crashAt(point: string, verb: string, key: string): Promise<void> {
  const r = await runVerb(verb, { dbg: `crash-${point}`, sr: s.sr, key }, { ...LEASE, CEPH_RBD_CRASH_AT: point });
  expect(r.code, `${verb} should have been killed at ${point}: ${r.stdout}`).toBeNull();
  await sleep(1200);
  await vcall("SR.stat", {});
  expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
}

describe("a kill at every step of the CBT writes converges", () => {
  it.each(["before-write", "written"])("data_destroy killed at %s", async (point) => {
    const v = await vcall<CbtVolume>("Volume.create", { name: "d", description: "", size: 8 * MiB, sharable: false });
    await vcall("Volume.enable_cbt", { key: v.key });
    writeAll(v.uri[0] ?? "", [[0, 8 * MiB, 0x11]]);
    const a = await vcall<CbtVolume>("Volume.snapshot", { key: v.key });
    writeAll(v.uri[0] ?? "", W);
    await crashAt(`data_destroy:${point}`, "Volume.data_destroy", a.key);
    const mid = await vcall<CbtVolume>("Volume.stat", { key: a.key });
    // As before (a snapshot with its data) or as after (CBT metadata only), never in between.
    expect(mid.volume_type).toBe(point === "written" ? "CBT_Metadata" : "Data");
    expect(mid.uri.length === 0).toBe(mid.volume_type === "CBT_Metadata");
    await vcall("Volume.data_destroy", { key: a.key });
    expect(await vcall<CbtVolume>("Volume.stat", { key: a.key })).toMatchObject({ volume_type: "CBT_Metadata", cbt_enabled: true, uri: [] });
    expect(decodeBitmap((await listChanged(s.sr, a.key, v.key)).bitmap)).toEqual(touched(W));
  });

  it.each([
    ["enable_cbt", "before-write", false],
    ["enable_cbt", "written", true],
  ] as const)("%s killed at %s", async (op, point, on) => {
    const v = await vcall<CbtVolume>("Volume.create", { name: "d", description: "", size: 4 * MiB, sharable: false });
    await crashAt(`${op}:${point}`, "Volume.enable_cbt", v.key);
    expect((await vcall<CbtVolume>("Volume.stat", { key: v.key })).cbt_enabled).toBe(on);
    await vcall("Volume.enable_cbt", { key: v.key });
    expect((await vcall<CbtVolume>("Volume.stat", { key: v.key })).cbt_enabled).toBe(true);
  });
});
