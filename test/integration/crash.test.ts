// Crash injection: each multi-step verb is killed (SIGKILL, as a host crash) at every step
// boundary; then the next call on the SR must bring it back to a consistent state: SR.ls as
// before or as after (never in between), no journal entry, no orphan image, no leaked
// snapshot, no dangling entry, and every byte written before still where it belongs.
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { checksum, writePattern } from "../helpers/rbd-data.js";
import { call, runVerb } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
// A short lease, so that the dead process's lock and journal entry are stale within a second.
const LEASE = { CEPH_RBD_LOCK_LEASE: "1" };
let s: TestSr;

const keysOf = async () => (await call<WireVolume[]>("SR.ls", { sr: s.sr }, LEASE)).map((v) => v.key).sort();

async function crashAt(point: string, verb: string, params: Record<string, unknown>): Promise<void> {
  const r = await runVerb(verb, { dbg: `crash-${point}`, sr: s.sr, ...params }, { ...LEASE, CEPH_RBD_CRASH_AT: point });
  expect(r.code, `${verb} should have been killed at ${point}: ${r.stdout}`).toBeNull();
}

// The "next call": SR.stat finishes whatever a dead process left (after its lease).
async function recover(): Promise<void> {
  await sleep(1200);
  await call("SR.stat", { sr: s.sr }, LEASE);
  expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
}

// Kills verb on source at the crash point <op>:<point> and recovers: source still holds sum;
// before the commit point SR.ls is as before, and after it the volume the verb made is returned.
async function crashMaking(side: string, op: string, point: string, verb: string, source: WireVolume, sum: string): Promise<WireVolume | undefined> {
  const before = await keysOf();
  await crashAt(`${op}:${point}`, verb, { key: source.key });
  await recover();
  const after = await keysOf();
  expect(await checksum(source.uri[0] ?? ""), point).toBe(sum);
  if (side === "before") {
    expect(after, point).toEqual(before);
    return undefined;
  }
  const [made] = after.filter((k) => !before.includes(k));
  return call<WireVolume>("Volume.stat", { sr: s.sr, key: made }, LEASE);
}

async function volumeWithData(byte: number): Promise<{ v: WireVolume; sum: string }> {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "crash", description: "", size: 8 * MiB, sharable: false }, LEASE);
  writePattern(v.uri[0] ?? "", byte, 0, 8 * MiB);
  return { v, sum: await checksum(v.uri[0] ?? "") };
}

beforeAll(async () => {
  s = await makeSr();
});

// Steps before the commit point roll back (SR.ls as before); after it, forward (as after).
const cases = {
  create: { before: ["before-intent", "intent", "image"], after: ["commit", "before-finish"] },
  snapshot: { before: ["intent", "snap"], after: ["commit", "before-finish"] },
  cloneOfHead: { before: ["intent", "snap", "clone"], after: ["commit", "before-finish"] },
  cloneOfSnapshot: { before: ["intent", "clone"], after: ["commit", "before-finish"] },
  destroy: { before: ["intent"], after: ["commit", "cleaned", "before-finish"] },
};

describe("crash at every step boundary", { timeout: 300_000 }, () => {
  it("Volume.create", async () => {
    for (const [side, points] of Object.entries(cases.create)) {
      for (const point of points) {
        const before = await keysOf();
        await crashAt(`create:${point}`, "Volume.create", { name: "c", description: "", size: 4 * MiB, sharable: false });
        await recover();
        const after = await keysOf();
        if (side === "before") expect(after, point).toEqual(before);
        else expect(after.length, point).toBe(before.length + 1);
      }
    }
  });

  it("Volume.snapshot", async () => {
    for (const [side, points] of Object.entries(cases.snapshot)) {
      for (const point of points) {
        const { v, sum } = await volumeWithData(0x21);
        const snap = await crashMaking(side, "snapshot", point, "Volume.snapshot", v, sum);
        if (snap) {
          expect(snap.read_write).toBe(false);
          expect(await checksum(snap.uri[0] ?? ""), point).toBe(sum);
        }
      }
    }
  });

  it.each([
    ["cloneOfHead", false],
    ["cloneOfSnapshot", true],
  ] as const)("Volume.clone (%s)", async (name, ofSnapshot) => {
    for (const [side, points] of Object.entries(cases[name])) {
      for (const point of points) {
        const { v, sum } = await volumeWithData(0x42);
        const source = ofSnapshot ? await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key }, LEASE) : v;
        const clone = await crashMaking(side, "clone", point, "Volume.clone", source, sum);
        if (clone) expect(await checksum(clone.uri[0] ?? ""), point).toBe(sum);
      }
    }
  });

  it("Volume.destroy, of a plain volume and of a head that a snapshot keeps as a tombstone", async () => {
    for (const withSnapshot of [false, true]) {
      for (const [side, all] of Object.entries(cases.destroy)) {
        // The tombstone variant shares every step after the commit point with the plain one.
        const points = withSnapshot ? all.slice(0, 1) : all;
        for (const point of points) {
          const { v, sum } = await volumeWithData(0x63);
          const snap = withSnapshot ? await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key }, LEASE) : undefined;
          const before = await keysOf();
          await crashAt(`destroy:${point}`, "Volume.destroy", { key: v.key });
          await recover();
          const after = await keysOf();
          if (side === "before") expect(after, point).toEqual(before);
          else expect(after, point).toEqual(before.filter((k) => k !== v.key));
          if (snap) expect(await checksum(snap.uri[0] ?? ""), point).toBe(sum);
          // Whatever happened, a repeated destroy succeeds and converges.
          await call("Volume.destroy", { sr: s.sr, key: v.key }, LEASE);
          expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
        }
      }
    }
  }, 1_200_000);

  it("Volume.revert", async () => {
    // The commit is revert's last step, one write with the intent's removal: no point between.
    const points = { before: ["intent", "clone"], after: ["commit"] };
    for (const [side, list] of Object.entries(points)) {
      for (const point of list) {
        const { v, sum } = await volumeWithData(0x19);
        const snap = await call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key }, LEASE);
        writePattern(v.uri[0] ?? "", 0x91, 0, 4 * MiB);
        const changed = await checksum(v.uri[0] ?? "");
        await crashAt(`revert:${point}`, "Volume.revert", { key: v.key, snapshot: snap.key });
        await recover();
        const now = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key }, LEASE);
        expect(await checksum(now.uri[0] ?? ""), point).toBe(side === "before" ? changed : sum);
        expect(await checksum(snap.uri[0] ?? ""), point).toBe(sum);
      }
    }
  });

  it("Volume.resize", async () => {
    for (const point of ["intent", "image", "before-finish"]) {
      const { v, sum } = await volumeWithData(0x7e);
      await crashAt(`resize:${point}`, "Volume.resize", { key: v.key, new_size: 16 * MiB });
      await recover();
      const size = (await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key }, LEASE)).virtual_size;
      expect([8 * MiB, 16 * MiB], point).toContain(size);
      // The record never claims less than the image holds.
      if (point !== "intent") expect(size, point).toBe(16 * MiB);
      const head = await checksum(v.uri[0] ?? "");
      if (size === 8 * MiB) expect(head).toBe(sum);
    }
  });
});
