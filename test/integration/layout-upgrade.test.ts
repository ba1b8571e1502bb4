// The image index (layout 2): Volume.destroy finds the volumes that share an image by the
// index's range, not by reading the SR; an SR of layout 1 is read whole until `ceph-rbd-admin
// upgrade` brings it to layout 2, online, and a kill at any step of the upgrade leaves an SR the
// next run finishes. An SR "of layout 1" is made here as the older version left it: the same
// entries without the index, version 1.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { omapList, omapUpdate } from "../../plugins/ceph/rados.js";
import { closeSessions } from "../../plugins/ceph/session.js";
import { createLogger } from "../../plugins/log.js";
import { META_OBJECT } from "../../plugins/wire/sr-object.js";
import { K } from "../../volume/meta/layout.js";
import { parseSrPlace } from "../../volume/sr/sr-place.js";
import { gcRun, imageOf, rbd } from "../helpers/gc-run.js";
import { inspectSr, problemsOf } from "../helpers/inspect.js";
import { call, runAdmin, runVerb } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
// More snapshots than one page of the upgrade's writes (1,000), so that a kill can fall between pages.
const BULK = 1500;
const LEASE = { CEPH_RBD_LOCK_LEASE: "1" };
const log = createLogger("layout-upgrade-test");

let s: TestSr;
const place = () => parseSrPlace(s.sr);
const entries = () => omapList(place(), log, META_OBJECT);
const version = async () => (JSON.parse((await entries()).get(K.config) ?? "{}") as { version?: number }).version;
const indexOf = async () => [...(await entries()).keys()].filter((k) => k.startsWith("img:")).sort();
const snapsOf = (v: WireVolume) =>
  (JSON.parse(rbd("snap", "ls", "--format", "json", `${s.pool}/${s.namespace}/${imageOf(v)}`)) as Array<{ name: string }>).map((x) => x.name);

const create = (name: string) => call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size: 4 * MiB, sharable: false });
const snapshot = (v: WireVolume) => call<WireVolume>("Volume.snapshot", { sr: s.sr, key: v.key });

// What an older version left: the entries as they are, without the index, at version 1.
async function toLayout1(): Promise<void> {
  const all = await entries();
  const config = JSON.parse(all.get(K.config) ?? "{}") as Record<string, unknown>;
  await omapUpdate(
    place(),
    log,
    META_OBJECT,
    { [K.config]: JSON.stringify({ ...config, version: 1 }) },
    [...all.keys()].filter((k) => k.startsWith("img:")),
  );
}

async function destroyReads(v: WireVolume): Promise<number> {
  const r = await runVerb("Volume.destroy", { dbg: "t", sr: s.sr, key: v.key });
  expect(r.code, r.stderr).toBe(0);
  return Number(/(\d+) omap entries read/.exec(r.stderr)?.[1]);
}

beforeAll(async () => {
  s = await makeSr();
}, 60_000);
afterAll(() => closeSessions());

describe("image index", () => {
  it("a new SR is of layout 2; each snapshot record is indexed with its image, and leaves the index with its record", async () => {
    expect(await version()).toBe(2);
    const h = await create("h");
    const s1 = await snapshot(h);
    const s2 = await snapshot(s1);
    const image = imageOf(h);
    expect(await indexOf()).toEqual([`img:${image}:${s1.key}`, `img:${image}:${s2.key}`].sort());
    // s2 shares s1's RBD snapshot: destroying s1 keeps it; destroying s2 then removes it.
    await call("Volume.destroy", { sr: s.sr, key: s1.key });
    expect(snapsOf(h)).toEqual([s1.key]);
    expect(await indexOf()).toEqual([`img:${image}:${s2.key}`]);
    await call("Volume.destroy", { sr: s.sr, key: s2.key });
    expect(snapsOf(h)).toEqual([]);
    expect(await indexOf()).toEqual([]);
    await call("Volume.destroy", { sr: s.sr, key: h.key });
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  }, 120_000);
});

describe("upgrade from layout 1", () => {
  let h: WireVolume, s1: WireVolume, s2: WireVolume, s3: WireVolume, bulk: WireVolume;
  let expected: string[];
  const bulkKeys: string[] = [];

  beforeAll(async () => {
    h = await create("h");
    s1 = await snapshot(h);
    s2 = await snapshot(s1);
    s3 = await snapshot(h);
    // BULK snapshots of a snapshot of `bulk`, all sharing its RBD snapshot, as Volume.snapshot
    // writes them (their record; a name and description are not needed here).
    bulk = await create("bulk");
    const sb = await snapshot(bulk);
    const rec = JSON.parse((await entries()).get(K.vol(sb.key)) ?? "") as Record<string, unknown>;
    for (let i = 0; i < BULK; i += 500) {
      const batch: Record<string, string> = {};
      for (let j = 0; j < 500; j++) {
        const key = randomUUID();
        bulkKeys.push(key);
        batch[K.vol(key)] = JSON.stringify({ ...rec, uuid: key, parent: sb.key });
        batch[K.img(imageOf(bulk), key)] = "";
      }
      await omapUpdate(place(), log, META_OBJECT, batch);
    }
    expected = await indexOf();
    expect(expected).toHaveLength(BULK + 4);
    await toLayout1();
    expect(await indexOf()).toEqual([]);
  }, 180_000);

  it("on layout 1, a destroy reads the whole SR and still keeps a snapshot another volume shares", async () => {
    expect(await version()).toBe(1);
    const t = await snapshot(s2);
    expect(await destroyReads(s2)).toBeGreaterThan(BULK);
    expect(snapsOf(h)).toContain(s1.key);
    expected = expected
      .filter((k) => !k.endsWith(s2.key))
      .concat(`img:${imageOf(h)}:${t.key}`)
      .sort();
    s2 = t;
    // t was recorded by this version: its entry is written whatever the SR's layout.
    expect(await indexOf()).toEqual([`img:${imageOf(h)}:${t.key}`]);
  }, 60_000);

  for (const [point, versionAfter, indexedAfter] of [
    ["upgrade:page", 1, 1000],
    ["upgrade:indexed", 1, BULK + 4],
    ["upgrade:done", 2, BULK + 4],
  ] as const) {
    it(`killed at ${point}: the SR is left at layout ${versionAfter}, and the next run finishes the upgrade`, async () => {
      await toLayout1();
      const killed = await runAdmin(["upgrade", "--sr", s.sr, "--json"], { ...LEASE, CEPH_RBD_CRASH_AT: point });
      expect(killed.code, killed.stderr).toBeNull();
      expect(await version()).toBe(versionAfter);
      expect((await indexOf()).length).toBe(indexedAfter);
      // The killed run's SR lock is left to its lease.
      await sleep(1200);
      const r = await runAdmin(["upgrade", "--sr", s.sr, "--json"], LEASE);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toEqual(versionAfter === 2 ? { from: 2, to: 2, indexed: 0 } : { from: 1, to: 2, indexed: expect.any(Number) });
      expect(await version()).toBe(2);
      expect(await indexOf()).toEqual(expected);
    }, 60_000);
  }

  it("after the upgrade, a destroy reads only what shares the image, and decides as before", async () => {
    expect(await version()).toBe(2);
    // s1's RBD snapshot is shared with s2 (t): kept. h has s3: kept as a tombstone.
    const n1 = await destroyReads(s1);
    expect(n1).toBeLessThan(40);
    expect(snapsOf(h)).toContain(s1.key);
    expect(await destroyReads(h)).toBeLessThan(40);
    expect((await entries()).has(K.tomb(imageOf(h)))).toBe(true);
    await destroyReads(s2);
    expect(snapsOf(h)).toEqual([s3.key]);
  }, 60_000);

  it("fsck finds a missing index entry and repairs it; the GC drops a stale one", async () => {
    const entry = `img:${imageOf(h)}:${s3.key}`;
    await omapUpdate(place(), log, META_OBJECT, {}, [entry]);
    const found = await runAdmin(["fsck", "--sr", s.sr, "--json"]);
    expect(found.code).toBe(1);
    expect((found.json as { findings: Array<{ kind: string; item: string }> }).findings).toContainEqual(
      expect.objectContaining({ kind: "index", item: s3.key }),
    );
    const fixed = await runAdmin(["fsck", "--sr", s.sr, "--repair", "--json"]);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(await indexOf()).toContain(entry);
    const stale = `img:${imageOf(h)}:${randomUUID()}`;
    await omapUpdate(place(), log, META_OBJECT, { [stale]: "" });
    await gcRun(s);
    expect(await indexOf()).not.toContain(stale);
    expect(await indexOf()).toContain(entry);
    // The SR's invariants, the index's included (inspectSr reads each record with a CLI call:
    // the bulk snapshots go first).
    await omapUpdate(place(), log, META_OBJECT, {}, [...bulkKeys.map((k) => K.vol(k)), ...bulkKeys.map((k) => K.img(imageOf(bulk), k))]);
    expect(problemsOf(inspectSr(s.pool, s.namespace))).toEqual([]);
  }, 60_000);
});
