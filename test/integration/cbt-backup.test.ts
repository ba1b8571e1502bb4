// Incremental backups from changed-block lists, and data_destroy: a chain of five increments
// rebuilds every snapshot bit for bit, each increment copying only the listed blocks from the
// snapshot before it (data-destroyed, as Xen Orchestra leaves it); what data_destroy frees, when.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, closeSync, readSync, writeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOCK, decodeBitmap, listChanged, rng, writeAll, type Write } from "../helpers/cbt.js";
import { gcRun, imageOf, rbd } from "../helpers/gc-run.js";
import { checksum, specOf } from "../helpers/rbd-data.js";
import { call, fail, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
type CbtVolume = WireVolume & { cbt_enabled: boolean; volume_type: string };
let s: TestSr;
let dir: string;
const vcall = <T = null>(verb: string, p: Record<string, unknown>) => call<T>(verb, { sr: s.sr, ...p });
const snapshot = (key: string) => vcall<CbtVolume>("Volume.snapshot", { key });
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
// The snapshot's content, read whole into a scratch file (the test's source of blocks).
const exportTo = (uri: string, file: string) => execFileSync("rbd", ["--conf", s.conf, "export", "--no-progress", specOf(uri), file, "--export-format", "1"]);

// Copies the listed blocks of `src` into the backup file `dst`; returns how many.
function applyBlocks(src: string, dst: string, blocks: number[]): number {
  const [from, to] = [openSync(src, "r"), openSync(dst, "r+")];
  const buf = Buffer.alloc(BLOCK);
  for (const b of blocks) {
    const n = readSync(from, buf, 0, BLOCK, b * BLOCK);
    writeSync(to, buf, 0, n, b * BLOCK);
  }
  closeSync(from);
  closeSync(to);
  return blocks.length;
}

beforeAll(async () => {
  s = await makeSr();
  dir = mkdtempSync(join(tmpdir(), "cbt-backup-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a backup chain of five increments", () => {
  it("rebuilds every snapshot bit for bit, copying only the listed blocks", async () => {
    const size = 32 * MiB;
    const r = rng(5);
    const v = await vcall<CbtVolume>("Volume.create", { name: "vm", description: "", size, sharable: false });
    await vcall("Volume.enable_cbt", { key: v.key });
    writeAll(v.uri[0] ?? "", [[0, size, 0x01]]);
    let prev = await snapshot(v.key);
    const backup = join(dir, "backup");
    exportTo(prev.uri[0] ?? "", backup);
    for (let i = 1; i <= 5; i++) {
      // Aligned and unaligned writes, some into fresh patterns.
      const writes: Write[] = Array.from({ length: 25 }, () => {
        const o = r(size / 512) * 512;
        return [o, Math.min(512 * (1 + r(400)), size - o), 0x10 + i] as const;
      });
      writeAll(v.uri[0] ?? "", writes);
      const next = await snapshot(v.key);
      // As Xen Orchestra does after each backup: the previous snapshot keeps only its CBT metadata.
      await vcall("Volume.data_destroy", { key: prev.key });
      const blocks = decodeBitmap((await listChanged(s.sr, prev.key, next.key)).bitmap);
      const src = join(dir, `s${i}`);
      exportTo(next.uri[0] ?? "", src);
      const copied = applyBlocks(src, backup, blocks);
      expect(sha(backup), `increment ${i} (${copied} blocks)`).toBe(sha(src));
      expect(sha(backup)).toBe(await checksum(next.uri[0] ?? ""));
      expect(copied).toBeLessThan(size / BLOCK);
      rmSync(src);
      prev = next;
    }
  });
});

describe("Volume.data_destroy", () => {
  it("leaves a CBT-only volume: listed from, never attached, cloned, snapshotted or reverted to", async () => {
    const v = await vcall<CbtVolume>("Volume.create", { name: "d", description: "", size: 8 * MiB, sharable: false });
    const plain = await snapshot(v.key);
    await vcall("Volume.enable_cbt", { key: v.key });
    writeAll(v.uri[0] ?? "", [[0, 8 * MiB, 0x11]]);
    const a = await snapshot(v.key);
    writeAll(v.uri[0] ?? "", [[2 * MiB, 100, 0x22]]);
    await vcall("Volume.data_destroy", { key: a.key });
    await vcall("Volume.data_destroy", { key: a.key });
    const st = await vcall<CbtVolume>("Volume.stat", { key: a.key });
    expect(st).toMatchObject({ volume_type: "CBT_Metadata", cbt_enabled: true, uri: [], read_write: false });
    expect(decodeBitmap((await listChanged(s.sr, a.key, v.key)).bitmap)).toEqual([32]);
    for (const [verb, p] of [
      ["Volume.clone", { key: a.key }],
      ["Volume.snapshot", { key: a.key }],
      ["Volume.revert", { key: v.key, snapshot: a.key }],
      ["Volume.data_destroy", { key: v.key }],
      ["Volume.data_destroy", { key: plain.key }],
    ] as const)
      expect((await fail(verb, { dbg: "t", sr: s.sr, ...p })).params[0], verb).toBe("Invalid_request");
    const check = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(check.json, check.stdout).toMatchObject({ clean: true });
  });

  it("frees the snapshot's RBD snapshot when its cbt_metadata volume is destroyed; the GC keeps it until then", async () => {
    const v = await vcall<CbtVolume>("Volume.create", { name: "d", description: "", size: 8 * MiB, sharable: false });
    await vcall("Volume.enable_cbt", { key: v.key });
    writeAll(v.uri[0] ?? "", [[0, 8 * MiB, 0x11]]);
    const a = await snapshot(v.key);
    writeAll(v.uri[0] ?? "", [[5 * MiB, 4096, 0x22]]);
    const b = await snapshot(v.key);
    await vcall("Volume.data_destroy", { key: a.key });
    const image = imageOf(v);
    const snapsOf = () =>
      (JSON.parse(rbd("snap", "ls", "--format", "json", `${s.pool}/${s.namespace}/${image}`)) as Array<{ name: string }>).map((x) => x.name);
    // The disk goes: its head is reclaimed by the GC, the snapshots stay, the list still answers.
    await vcall("Volume.destroy", { key: v.key });
    await gcRun(s);
    expect(snapsOf()).toEqual(expect.arrayContaining([a.key, b.key]));
    expect(decodeBitmap((await listChanged(s.sr, a.key, b.key)).bitmap)).toEqual([80]);
    await vcall("Volume.destroy", { key: a.key });
    expect(snapsOf()).not.toContain(a.key);
    await vcall("Volume.destroy", { key: b.key });
    await gcRun(s);
    const check = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(check.json, check.stdout).toMatchObject({ clean: true });
  });

  it("fsck reports a data-destroyed mark on anything but a CBT snapshot", async () => {
    const v = await vcall<CbtVolume>("Volume.create", { name: "d", description: "", size: 4 * MiB, sharable: false });
    const key = `vol:${v.key}`;
    const rados = (...a: string[]) => execFileSync("rados", ["--conf", s.conf, "--pool", s.pool, "--namespace", s.namespace, ...a], { encoding: "utf8" });
    rados("getomapval", "ceph_rbd_sr", key, join(dir, "record"));
    const record = readFileSync(join(dir, "record"), "utf8");
    rados("setomapval", "ceph_rbd_sr", key, JSON.stringify({ ...JSON.parse(record), dataDestroyed: true }));
    const check = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(check.json, check.stdout).toMatchObject({ clean: false, findings: [expect.objectContaining({ kind: "cbt-record", item: v.key })] });
    rados("setomapval", "ceph_rbd_sr", key, record);
    expect((await runAdmin(["fsck", "--sr", s.sr, "--json"])).json).toMatchObject({ clean: true });
  });
});
