// Native revert: the disk keeps its identity and gets the snapshot's content, in constant time.
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { checksum, writePattern } from "../helpers/rbd-data.js";
import { call, fail } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
let s: TestSr;
const stat = (key: string) => call<WireVolume>("Volume.stat", { sr: s.sr, key });
const snapshot = (key: string) => call<WireVolume>("Volume.snapshot", { sr: s.sr, key });
const revert = (key: string, snap: string) => call("Volume.revert", { sr: s.sr, key, snapshot: snap });
const rados = (args: string[]) =>
  execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

beforeAll(async () => {
  s = await makeSr();
});

describe("Volume.revert", () => {
  it("is declared, so xapi offers it", async () => {
    const q = await call<{ features: string[] }>("Plugin.Query", {});
    expect(q.features).toContain("VDI_REVERT");
  });

  it("keeps key, uuid, name, description and keys; the content becomes the snapshot's, for each of several snapshots, repeatedly", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "os", description: "the OS disk", size: 16 * MiB, sharable: false });
    await call("Volume.set", { sr: s.sr, key: v.key, k: "vdi-type", v: "user" });
    const sums: string[] = [];
    const snaps: WireVolume[] = [];
    for (const byte of [0x11, 0x22, 0x33]) {
      writePattern(v.uri[0] ?? "", byte, 0, 16 * MiB);
      sums.push(await checksum(v.uri[0] ?? ""));
      snaps.push(await snapshot(v.key));
    }
    writePattern(v.uri[0] ?? "", 0x44, 4 * MiB, MiB);
    for (const i of [0, 2, 1, 0]) {
      await revert(v.key, snaps[i]?.key ?? "");
      const after = await stat(v.key);
      expect(after).toMatchObject({ key: v.key, uuid: v.uuid, name: "os", description: "the OS disk", keys: { "vdi-type": "user" }, read_write: true });
      expect(await checksum(after.uri[0] ?? ""), `after revert to snapshot ${i}`).toBe(sums[i]);
      // Every snapshot still holds its own content.
      for (const [j, sn] of snaps.entries()) expect(await checksum(sn.uri[0] ?? "")).toBe(sums[j]);
    }
    // Writes after a revert go to the volume, not to the snapshot.
    const now = await stat(v.key);
    writePattern(now.uri[0] ?? "", 0x55, 0, MiB);
    expect(await checksum(snaps[0]?.uri[0] ?? "")).toBe(sums[0]);
    const listed = (await call<WireVolume[]>("SR.ls", { sr: s.sr })).map((x) => x.key).sort();
    expect(listed).toEqual([v.key, ...snaps.map((x) => x.key)].sort());
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  });

  it("a snapshot taken before a revert stays readable and revertible, and new snapshots work after it", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "d", description: "", size: 8 * MiB, sharable: false });
    writePattern(v.uri[0] ?? "", 0x61, 0, 8 * MiB);
    const a = await snapshot(v.key);
    const sumA = await checksum(a.uri[0] ?? "");
    writePattern(v.uri[0] ?? "", 0x62, 0, 8 * MiB);
    const b = await snapshot(v.key);
    const sumB = await checksum(b.uri[0] ?? "");
    await revert(v.key, a.key);
    writePattern((await stat(v.key)).uri[0] ?? "", 0x63, 0, 8 * MiB);
    const c = await snapshot(v.key);
    const sumC = await checksum(c.uri[0] ?? "");
    await revert(v.key, b.key);
    expect(await checksum((await stat(v.key)).uri[0] ?? "")).toBe(sumB);
    await revert(v.key, c.key);
    expect(await checksum((await stat(v.key)).uri[0] ?? "")).toBe(sumC);
    expect(await checksum(a.uri[0] ?? "")).toBe(sumA);
  });

  it("refuses, changing nothing, a snapshot of another disk, a non-snapshot, and a snapshot as target", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "x", description: "", size: 4 * MiB, sharable: false });
    const w = await call<WireVolume>("Volume.create", { sr: s.sr, name: "y", description: "", size: 4 * MiB, sharable: false });
    const ws = await snapshot(w.key);
    const vs = await snapshot(v.key);
    const before = await stat(v.key);
    for (const [key, snap] of [
      [v.key, ws.key],
      [v.key, w.key],
      [vs.key, vs.key],
    ]) {
      const e = await fail("Volume.revert", { dbg: "t", sr: s.sr, key, snapshot: snap });
      expect(e.params[0]).toBe("Invalid_request");
    }
    expect(await stat(v.key)).toEqual(before);
    const e = await fail("Volume.revert", { dbg: "t", sr: s.sr, key: v.key, snapshot: "00000000-0000-4000-8000-000000000000" });
    expect(e.params[0]).toBe("Volume_does_not_exist");
  });

  // A Volume.destroy of the snapshot takes the snapshot's lock only: a revert that held the head's
  // alone could see its RBD snapshot removed between reading the record and cloning it (found
  // by the mixed load as an ImageNotFound from the clone). Another client holds the snapshot's
  // lock here, as a destroy under way would.
  it("waits for the snapshot's lock, which a destroy of the snapshot holds, and changes nothing until it has it", async () => {
    const v = await call<WireVolume>("Volume.create", { sr: s.sr, name: "locked", description: "", size: 4 * MiB, sharable: false });
    const snap = await snapshot(v.key);
    const before = await stat(v.key);
    const lock = `vol:${snap.key}`;
    rados(["lock", "get", META_OBJECT, lock, "--lock-cookie", "other", "--lock-duration", "60"]);
    try {
      const e = await fail("Volume.revert", { dbg: "t", sr: s.sr, key: v.key, snapshot: snap.key }, { CEPH_RBD_LOCK_WAIT: "1" });
      expect(e.params[0]).toBe("Busy");
      expect(e.params[1]).toContain(lock);
      expect(await stat(v.key)).toEqual(before);
    } finally {
      const { lockers } = JSON.parse(rados(["lock", "info", META_OBJECT, lock, "--format", "json"])) as { lockers: Array<{ name: string; cookie: string }> };
      for (const l of lockers) rados(["lock", "break", META_OBJECT, lock, l.name, "--lock-cookie", l.cookie]);
    }
    await revert(v.key, snap.key);
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  });
});
