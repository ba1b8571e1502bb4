// What the GC's planner (volume/gc/plan.ts) sweeps from the SR: unreferenced user snapshots, stray
// entries and old gone: marks, and what it leaves alone while an operation names the image.
import { describe, expect, it } from "vitest";
import type { LongList } from "../../plugins/ceph/outputs.js";
import type { Op } from "../../volume/journal/journal.js";
import { K } from "../../volume/meta/layout.js";
import { u, img, GiB, NOW, DAY, type Entry, head, snapVol, tomb, op, gone, headRow, snapRow } from "../helpers/gc-plan-world.js";
import { planOf, on, kindsOn, waitingFor, dropped } from "../helpers/gc-plan-world.js";

describe("user snapshots", () => {
  const H = img(200);
  const KEY = u(201);

  it("a snapshot no record references is removed; a referenced one stays", () => {
    const kept = u(202);
    const stray = u(203);
    const hidden = `clone-${u(204)}`; // a clone's temporary snapshot left by a crash
    const p = planOf({
      entries: [head(KEY, H), snapVol(kept, H)],
      rows: [headRow(H, GiB), snapRow(H, kept), snapRow(H, stray), snapRow(H, hidden)],
    });
    expect(p.actions).toEqual([
      { kind: "snap-remove", image: H, snap: stray },
      { kind: "snap-remove", image: H, snap: hidden },
    ]);
  });

  it("a record of another image with the same snapshot name does not protect it", () => {
    const s = u(205);
    const p = planOf({
      entries: [head(KEY, H), head(u(206), img(207)), snapVol(s, img(207))],
      rows: [headRow(H, GiB), snapRow(H, s), headRow(img(207), GiB), snapRow(img(207), s)],
    });
    expect(p.actions).toEqual([{ kind: "snap-remove", image: H, snap: s }]);
  });

  it.each<{ what: string; snap: string; o: Op }>([
    // Volume.snapshot between snap create and the record write.
    { what: "a snapshot being taken", snap: u(210), o: { op: "snapshot", key: KEY, newKey: u(210), image: H, snap: u(210) } },
    // Volume.clone of a writable volume, before its temporary snapshot is dropped.
    {
      what: "a clone's temporary snapshot",
      snap: `clone-${u(211)}`,
      o: { op: "clone", key: KEY, newKey: u(211), image: img(212), parent: H, parentSnap: `clone-${u(211)}`, hidden: true },
    },
    // Volume.destroy of a snapshot volume, after its record went, before the RBD snapshot.
    {
      what: "a snapshot being destroyed",
      snap: u(213),
      o: { op: "destroy", key: u(213), image: H, mode: "snapshot", snap: u(213), entries: [K.nam(u(213)), K.dsc(u(213)), K.use(u(213))] },
    },
  ])("$what (named in a journal entry) is left alone", ({ snap, o }) => {
    const withOp = planOf({ entries: [head(KEY, H), op(u(214), o)], rows: [headRow(H, GiB), snapRow(H, snap)] });
    expect(withOp.actions.filter((a) => a.kind === "snap-remove")).toEqual([]);
    expect(waitingFor(withOp, H).map((w) => w.why)).toEqual([expect.stringContaining("under way")]);
    // Control: once the entry is gone, the same snapshot is garbage.
    const after = planOf({ entries: [head(KEY, H)], rows: [headRow(H, GiB), snapRow(H, snap)] });
    expect(after.actions).toEqual([{ kind: "snap-remove", image: H, snap }]);
  });
});

describe("stray entries", () => {
  const KEY = u(600);
  const LIVE = u(601);

  it("a stray whose key is not a volume key is dropped (no operation can be working on it)", () => {
    const entry = K.nam("not-a-volume-key");
    const p = planOf({ entries: [[entry, "x"], op(u(605), { op: "create", key: KEY, image: img(606) })] });
    expect(p.actions).toEqual([{ kind: "drop-entry", entry }]);
  });

  it.each([
    { what: "nam:", entry: K.nam(KEY) },
    { what: "dsc:", entry: K.dsc(KEY) },
    { what: "use:", entry: K.use(KEY) },
    { what: "key:", entry: K.xkey(KEY, "vdi-type") },
  ])("a $what entry with no vol: record is dropped, unless an operation on its key is under way", ({ entry }) => {
    const live: Entry[] = [head(LIVE, img(602)), [K.nam(LIVE), "a disk"], [K.xkey(LIVE, "vdi-type"), "user"]];
    const rows = [headRow(img(602), GiB)];
    const p = planOf({ entries: [...live, [entry, "x"]], rows });
    expect(p.actions).toEqual([{ kind: "drop-entry", entry }]);
    // Volume.create between its intent and its vol: write.
    const busy = planOf({ entries: [...live, [entry, "x"], op(u(603), { op: "create", key: KEY, image: img(604) })], rows });
    expect(dropped(busy)).toEqual([]);
  });
});

describe("stale index entries", () => {
  // Written with the record and removed with it, an index entry outlives its record only when an
  // upgrade indexed a volume destroyed meanwhile: garbage, even while an operation on it runs.
  it("an index entry with no snapshot record behind it is dropped", () => {
    const KEY = u(650);
    const entry = K.img(img(651), KEY);
    const p = planOf({ entries: [[entry, ""], op(u(652), { op: "create", key: KEY, image: img(653) })], rows: [headRow(img(651), GiB)] });
    expect(p.actions).toEqual([{ kind: "drop-entry", entry }]);
  });
});

describe("gone: marks", () => {
  const KEY = u(700);
  it.each([
    { age: "1 hour", ms: 3_600_000, goneDays: 7, drop: false },
    { age: "6 days 23 hours", ms: 7 * DAY - 3_600_000, goneDays: 7, drop: false },
    { age: "7 days 1 hour", ms: 7 * DAY + 3_600_000, goneDays: 7, drop: true },
    { age: "90 days", ms: 90 * DAY, goneDays: 7, drop: true },
    { age: "8 days, with goneDays 30", ms: 8 * DAY, goneDays: 30, drop: false },
    { age: "31 days, with goneDays 30", ms: 31 * DAY, goneDays: 30, drop: true },
  ])("a mark $age old: drop=$drop", ({ ms, goneDays, drop }) => {
    const p = planOf({ entries: [gone(KEY, new Date(NOW - ms).toISOString())], limits: { goneDays }, now: NOW });
    expect(p.actions).toEqual(drop ? [{ kind: "drop-entry", entry: K.gone(KEY) }] : []);
  });

  it("age is measured from the `now` passed in, not the clock", () => {
    const since = "2020-01-01T00:00:00.000Z";
    const entries = [gone(KEY, since)];
    expect(planOf({ entries, now: Date.parse(since) + DAY })).toMatchObject({ actions: [] });
    expect(dropped(planOf({ entries, now: Date.parse(since) + 8 * DAY }))).toEqual([K.gone(KEY)]);
  });
});

// ---- operations under way -------------------------------------------------------------------

describe("images named by an operation under way", () => {
  const T = img(800);
  const T_KEY = u(801);
  const C = img(802);
  const C_KEY = u(803);
  const S = u(804);
  const PARENT = img(805);

  // A world where both T and C would be acted on: T a tombstone with data and a loose snapshot,
  // C a clone of a tombstone through an unreferenced snapshot, and deep enough to flatten too.
  const entries: Entry[] = [tomb(T, T_KEY), tomb(PARENT, u(806)), head(C_KEY, C)];
  const rows: LongList = [headRow(T, GiB), snapRow(T, S), headRow(PARENT, 0), headRow(C, GiB, { image: PARENT, snapshot: u(807) })];

  it("without the entry, both get work (control)", () => {
    const p = planOf({ entries, rows, limits: { softDepth: 1 } });
    expect(kindsOn(p, T)).toEqual(["reclaim", "snap-remove", "trash-move"]);
    expect(kindsOn(p, C)).toEqual(["flatten"]);
  });

  it.each<{ what: string; image: string; o: Op }>([
    { what: "a tombstone being made (destroy)", image: T, o: { op: "destroy", key: T_KEY, image: T, mode: "tombstone", entries: [K.nam(T_KEY)] } },
    { what: "the old head of a revert", image: T, o: { op: "revert", key: T_KEY, snapshot: S, image: img(808), old: T, snapImage: T, snap: S } },
    { what: "a clone being made", image: C, o: { op: "clone", key: u(809), newKey: C_KEY, image: C, parent: PARENT, parentSnap: u(807), hidden: false } },
    { what: "a resize", image: C, o: { op: "resize", key: C_KEY, image: C, size: 2 * GiB } },
  ])("$what: no action on the image, listed in waiting", ({ image, o }) => {
    const p = planOf({ entries: [...entries, op(u(810), o)], rows, limits: { softDepth: 1 } });
    expect(on(p, image)).toEqual([]);
    expect(waitingFor(p, image).map((w) => w.why)).toEqual([expect.stringContaining("under way")]);
    // The other image is still worked on.
    const other = image === T ? C : T;
    expect(on(p, other).length).toBeGreaterThan(0);
  });
});
