// The GC's view of the SR's images (volume/gc/image-view.ts, view-store.ts): a pass opens only the
// images whose header changed since an open was kept (and one in 64 to refresh), keeps what it
// opened in the SR for the next worker on any host, and trusts nothing it reads back unless the
// image's header digest still matches.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { diskWithSnapshot, gcRun, imageOf, MiB } from "../helpers/gc-run.js";
import { call, runAdmin } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const VIEW = "ceph_rbd_gc_view";
let s: TestSr;
const rados = (...args: string[]) =>
  execFileSync("rados", ["--conf", inject("ceph").conf, "--pool", s.pool, "--namespace", s.namespace, ...args], {
    encoding: "utf8",
    // getomapval says "Writing to <file>" on stderr.
    stdio: ["ignore", "pipe", "pipe"],
  });
const rbdInfo = (image: string) =>
  JSON.parse(execFileSync("rbd", ["--conf", inject("ceph").conf, "info", "--format", "json", `${s.pool}/${s.namespace}/${image}`], { encoding: "utf8" })) as {
    id: string;
  };
const viewIds = () =>
  rados("listomapkeys", VIEW)
    .split("\n")
    .filter((k) => k && !k.startsWith("~"))
    .sort();
const mark = (name: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "view-")), "v");
  rados("getomapval", VIEW, name, f);
  return readFileSync(f, "utf8");
};
const entry = (id: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "view-")), "v");
  rados("getomapval", VIEW, id, f);
  return JSON.parse(readFileSync(f, "utf8")) as { d: string; r: Array<{ image: string; snapshot?: string; size: number }> };
};
const setEntry = (id: string, text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "view-")), "v");
  writeFileSync(f, text);
  rados("setomapval", VIEW, id, "--input-file", f);
};
// How many images a `gc run` opened, from its debug log (one line per batch of opens).
const opened = (stderr: string) => [...stderr.matchAll(/ls -l \S+ \((\d+) images\) \(/g)].reduce((n, m) => n + Number(m[1]), 0);
const debugPass = async () => {
  const r = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], { CEPH_RBD_LOG_STDERR: "debug" });
  expect(r.code, r.stderr).toBe(0);
  return { report: r.json as { done: string[] }, opened: opened(r.stderr) };
};

let vols: WireVolume[];
beforeAll(async () => {
  s = await makeSr();
  vols = [];
  for (let i = 0; i < 5; i++) vols.push(await call<WireVolume>("Volume.create", { sr: s.sr, name: `v${i}`, description: "", size: 4 * MiB, sharable: false }));
});

describe("the GC's view of the SR's images", () => {
  it("is kept by a pass, one entry per image; the next pass (a new process) opens only what changed, and one image to refresh", async () => {
    const first = await debugPass();
    expect(first.opened).toBe(5);
    expect(viewIds()).toEqual(vols.map((v) => rbdInfo(imageOf(v)).id).sort());
    expect(entry(rbdInfo(imageOf(vols[0]!)).id).r).toEqual([expect.objectContaining({ image: imageOf(vols[0]!), size: 4 * MiB })]);
    expect((await debugPass()).opened).toBe(1);
    // A snapshot changes the image's header: that image is opened again, and its entry has the snapshot.
    await call("Volume.snapshot", { sr: s.sr, key: vols[1]!.key });
    expect((await debugPass()).opened).toBe(2);
    const id = rbdInfo(imageOf(vols[1]!)).id;
    expect(entry(id).r.filter((r) => r.snapshot !== undefined)).toHaveLength(1);
  });

  it("opens the unchanged images again in turn, by id, from a cursor kept with the view (any host's pass goes on from it)", async () => {
    const ids = viewIds();
    const cursors: string[] = [];
    for (let i = 0; i < ids.length + 1; i++) {
      await debugPass();
      cursors.push(mark("~cursor"));
    }
    const start = ids.indexOf(cursors[0] ?? "");
    expect(start).toBeGreaterThanOrEqual(0);
    expect(cursors).toEqual(Array.from({ length: ids.length + 1 }, (_, i) => ids[(start + i) % ids.length]));
    // Every pass that wrote the view gave it a new generation.
    const gen = mark("~gen");
    await debugPass();
    expect(mark("~gen")).not.toBe(gen);
  });

  it("trusts no entry whose digest is not the header's: a tombstone the view calls empty is still reclaimed", async () => {
    const { v } = await diskWithSnapshot(s, 0x71, 0x72, 4);
    await gcRun(s);
    const id = rbdInfo(imageOf(v)).id;
    const kept = entry(id);
    await call("Volume.destroy", { sr: s.sr, key: v.key });
    // Forged: the head already reclaimed (size 0), under a digest the header does not have.
    setEntry(id, JSON.stringify({ d: "0".repeat(24), r: kept.r.map((r) => ({ ...r, size: 0 })) }));
    expect((await gcRun(s)).done.join("\n")).toMatch(new RegExp(`reclaimed the head of ${imageOf(v)}`));
  });

  it("takes an entry that does not parse, or names another image, as absent", async () => {
    const id = rbdInfo(imageOf(vols[2]!)).id;
    const other = rbdInfo(imageOf(vols[3]!)).id;
    setEntry(id, "{not json");
    setEntry(other, JSON.stringify({ d: entry(other).d, r: [{ image: "x", id: "someone-else", size: 1 }] }));
    const r = await debugPass();
    // Both opened again (and the refresh), and kept whole again.
    expect(r.opened).toBeGreaterThanOrEqual(2);
    expect(entry(id).r[0]).toMatchObject({ image: imageOf(vols[2]!), id, size: 4 * MiB });
    expect(entry(other).r[0]).toMatchObject({ image: imageOf(vols[3]!), id: other, size: 4 * MiB });
  });

  it("goes with the SR: SR.destroy leaves no object in its namespace", async () => {
    const own = await makeSr();
    const v = await call<WireVolume>("Volume.create", { sr: own.sr, name: "x", description: "", size: 4 * MiB, sharable: false });
    await gcRun(own);
    const ls = () => execFileSync("rados", ["--conf", inject("ceph").conf, "--pool", own.pool, "--namespace", own.namespace, "ls"], { encoding: "utf8" });
    expect(ls()).toMatch(new RegExp(VIEW));
    await call("Volume.destroy", { sr: own.sr, key: v.key });
    await gcRun(own);
    await gcRun(own);
    await call("SR.destroy", { sr: own.sr });
    expect(ls()).toBe("");
  });
});
