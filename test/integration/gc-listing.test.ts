// The GC's pass on a listing it cannot trust (an image that does not open, or a session that dies
// while opening them): it asks again once, or stops changing nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { crashingOn } from "../helpers/crashing-session.js";
import { checksum, omapKeys } from "../helpers/rbd-data.js";
import { call, runAdmin } from "../helpers/run-verb.js";
import { makeSr } from "../helpers/sr.js";
import { rbd, imageOf, gcRun, diskWithSnapshot } from "../helpers/gc-run.js";

describe("a listing with a hole", () => {
  it("stops the pass, changing nothing, when an image does not open; the next pass after the repair proceeds", async () => {
    const own = await makeSr();
    // Two tombstones, one damaged: the other still opens, and the listing must not pass for whole.
    const disks = [await diskWithSnapshot(own, 0x61, 0x62, 4), await diskWithSnapshot(own, 0x63, 0x64, 4)].sort((a, b) =>
      imageOf(a.v) < imageOf(b.v) ? -1 : 1,
    );
    for (const d of disks) await call("Volume.destroy", { sr: own.sr, key: d.v.key });
    const [first] = disks;
    if (!first) throw new Error("no disk made");
    const { v, snap, sum } = first;
    const head = imageOf(v);
    const base = ["--conf", inject("ceph").conf, "--pool", own.pool, "--namespace", own.namespace];
    const rados = (...args: string[]) => execFileSync("rados", [...base, ...args], { encoding: "utf8" });
    const keys = () => omapKeys(own.pool, own.namespace).sort();
    expect(keys()).toContain(`tomb:${head}`);
    const before = keys();
    // A header whose size does not decode: every open of the image fails with EIO (damage a
    // real cluster has, but not on cue).
    const header = `rbd_header.${(JSON.parse(rbd("info", "--format", "json", `${own.pool}/${own.namespace}/${head}`)) as { id: string }).id}`;
    const dir = mkdtempSync(join(tmpdir(), "hole-"));
    rados("getomapval", header, "size", join(dir, "size"));
    writeFileSync(join(dir, "bad"), "x");
    rados("setomapval", header, "size", "--input-file", join(dir, "bad"));
    try {
      const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"]);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/ls -l \S+ \(\d+ images\).*I\/O error \(error opening image/);
      // Planned on the hole, the pass would have dropped the tombstone of the image it missed.
      expect(keys()).toEqual(before);
    } finally {
      rados("setomapval", header, "size", "--input-file", join(dir, "size"));
    }
    expect((await gcRun(own)).done.join("\n")).toMatch(/reclaimed the head/);
    expect(keys()).toContain(`tomb:${head}`);
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
  });
});

describe("a listing whose session dies", () => {
  // The session aborted by Ceph's C++ libraries while it opens the images (as they do now and then
  // while the mgr purges), injected by a session that aborts on that operation and runs the real
  // one otherwise.
  it("is asked again of a new session: the pass plans on its answer and reclaims, and the log says why", async () => {
    const own = await makeSr();
    const { v, snap, sum } = await diskWithSnapshot(own, 0x65, 0x66, 4);
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    const crash = crashingOn("image_facts");
    const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"], crash.env);
    expect(crash.crashes(), "the pass never opened the images").toBe(1);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { done: string[] }).done.join("\n")).toMatch(/reclaimed the head/);
    expect(r.stderr).toMatch(/WARNING .*ls -l .*librados session ended: terminate called .*; asking a new session/);
    expect(await checksum(snap.uri[0] ?? "")).toBe(sum);
  });

  it("twice: the pass fails with the library's last words, changing nothing", async () => {
    const own = await makeSr();
    const { v } = await diskWithSnapshot(own, 0x67, 0x68, 4);
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    const before = omapKeys(own.pool, own.namespace).sort();
    const images = rbd("ls", `${own.pool}/${own.namespace}`);
    const crash = crashingOn("image_facts", 2);
    const r = await runAdmin(["gc", "run", "--sr", own.sr, "--json"], crash.env);
    expect(crash.crashes()).toBe(2);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/ls -l .*terminate called after throwing an instance of 'std::system_error'.*Invalid argument/);
    expect(omapKeys(own.pool, own.namespace).sort()).toEqual(before);
    expect(rbd("ls", `${own.pool}/${own.namespace}`)).toBe(images);
    expect((await gcRun(own)).done.join("\n")).toMatch(/reclaimed the head/);
  });
});
