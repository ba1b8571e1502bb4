// The release matrix's Nautilus 14.2 client against this run's (Pacific) cluster, in every run of
// the suites; the whole matrix is `npm run matrix` (docs/support-matrix.md). Every verb and admin
// command here runs inside a Debian bullseye root (scripts/ceph-roots.sh, built on first use and
// cached), so the plugin's Python helper loads Nautilus's bindings and its CLIs are Nautilus's.
// The data is written and checked from this machine.
import { execFileSync, spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { collect, diskWithSnapshot, hasParent, MiB } from "../helpers/gc-run.js";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { checksum } from "../helpers/rbd-data.js";
import { call, IN_ROOT, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const ROOTS = new URL("../../scripts/ceph-roots.sh", import.meta.url).pathname;
// Building a root needs root (debootstrap, chroot).
const notRoot = process.getuid?.() === 0 ? "" : " (skipped: building and entering a Debian root needs root)";

describe.skipIf(notRoot !== "")(`a Nautilus 14.2 client (Debian bullseye root)${notRoot}`, { timeout: 300_000 }, () => {
  let s: TestSr;
  // Asynchronously: building the root takes 80 s or more, and a worker blocked that long misses
  // vitest's own 60 s calls (an unhandled "Timeout calling onTaskUpdate" fails the run).
  beforeAll(async () => {
    const dir = await new Promise<string>((resolve, reject) => {
      const child = spawn("bash", [ROOTS, "path", "bullseye"], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`ceph-roots.sh path bullseye exited ${code}`))));
    });
    process.env.CEPH_TEST_CLIENT_ROOT = dir;
  }, 600_000);

  it("is the client the verbs run with", () => {
    const dir = process.env.CEPH_TEST_CLIENT_ROOT ?? "";
    expect(execFileSync("bash", [IN_ROOT, dir, "ceph", "--version"], { encoding: "utf8" })).toMatch(/ceph version 14\.2\.\d+ .*nautilus/);
    const rbd = execFileSync("bash", [IN_ROOT, dir, "/usr/bin/python3", "-c", "import rbd; print(hasattr(rbd, 'RBD_FEATURE_NON_PRIMARY'))"], {
      encoding: "utf8",
    });
    expect(rbd.trim()).toBe("False");
  });

  it("creates and attaches an SR, and the volumes' life: snapshot, clone, keys, resize, revert, destroy", async () => {
    s = await makeSr();
    const { v, snap, sum } = await diskWithSnapshot(s, 0x61, 0x62, 8);
    const clone = await call<WireVolume>("Volume.clone", { sr: s.sr, key: snap.key });
    expect(await checksum(clone.uri[0] ?? "")).toBe(sum);
    await call("Volume.set", { sr: s.sr, key: clone.key, k: "vdi-type", v: "user" });
    await call("Volume.resize", { sr: s.sr, key: clone.key, new_size: 16 * MiB });
    expect(await call<WireVolume>("Volume.stat", { sr: s.sr, key: clone.key })).toMatchObject({ virtual_size: 16 * MiB, keys: { "vdi-type": "user" } });
    await call("Volume.revert", { sr: s.sr, key: v.key, snapshot: snap.key });
    const reverted = await call<WireVolume>("Volume.stat", { sr: s.sr, key: v.key });
    expect(await checksum(reverted.uri[0] ?? "")).toBe(sum);
    const ls = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    expect(ls.map((x) => x.key).sort()).toEqual([v.key, snap.key, clone.key].sort());
    for (const k of [snap.key, clone.key]) await call("Volume.destroy", { sr: s.sr, key: k });
    expect(hasParent(s, reverted)).toBe(true);
  });

  it("collects the garbage (gc run), finds the SR clean (fsck), reports it (gc status, SR.stat), destroys it", async () => {
    const [v] = await call<WireVolume[]>("SR.ls", { sr: s.sr });
    await collect(s);
    // The reverted volume outlived its snapshot: flattened, its data intact.
    expect(hasParent(s, v as WireVolume)).toBe(false);
    const fsck = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.json).toMatchObject({ clean: true });
    const st = await runAdmin(["gc", "status", "--sr", s.sr, "--json"]);
    expect(st.code, st.stderr).toBe(0);
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
    expect(await call("SR.stat", { sr: s.sr })).toMatchObject({ uuid: s.uuid });
    for (const v of await call<WireVolume[]>("SR.ls", { sr: s.sr })) await call("Volume.destroy", { sr: s.sr, key: v.key });
    await call("SR.destroy", { sr: s.sr });
    expect(execFileSync("rbd", ["--conf", s.conf, "namespace", "ls", s.pool], { encoding: "utf8" })).not.toContain(s.uuid);
  });
});
