// What the GC's planner (volume/gc/plan.ts) does with tombstones: the `rbd ls -l` rows folded into
// images, reclaim and trash of a dead image's data, and the tombstones held while their image is in use.
import { describe, expect, it } from "vitest";
import { imageFacts, type Plan } from "../../volume/gc/plan.js";
import { UNREADABLE_HOST } from "../../plugins/wire/sr-object.js";
import { K } from "../../volume/meta/layout.js";
import { u, img, GiB, CREATED, type Entry, head, snapVol, tomb, op, headRow, snapRow } from "../helpers/gc-plan-world.js";
import { planOf, on, kindsOn, waitingFor, flattened, dropped, index } from "../helpers/gc-plan-world.js";

// ---- imageFacts -----------------------------------------------------------------------------

describe("imageFacts", () => {
  it("folds one head row and its snapshot rows into one image, whatever their order", () => {
    const base = img(1);
    const clone = img(2);
    const facts = imageFacts([
      // A snapshot taken before the clone was shrunk: larger than the head, listed first here.
      snapRow(clone, u(11), 8 * GiB),
      headRow(base, 2 * GiB),
      snapRow(base, u(10), 5),
      headRow(clone, GiB, { image: base, snapshot: u(10) }),
      snapRow(clone, u(12), 3 * GiB),
    ]);
    expect([...facts.keys()].sort()).toEqual([base, clone].sort());
    // The head row gives the size (never a snapshot row's), the id, and the parent without pool.
    expect(facts.get(base)).toEqual({ id: headRow(base, 0).id, size: 2 * GiB, snaps: [u(10)] });
    expect(facts.get(clone)).toEqual({ id: headRow(clone, 0).id, size: GiB, parent: { image: base, snapshot: u(10) }, snaps: [u(11), u(12)] });
  });
});

// ---- tombstones -----------------------------------------------------------------------------

describe("tombstones", () => {
  const T = img(100);
  const DESTROYED = u(101);
  const LIVE_SNAP = u(102); // key of a snapshot volume on T, and the RBD snapshot's name

  it.each([
    { size: 3 * GiB, reclaim: true },
    { size: 4 * 1024 * 1024, reclaim: true },
    { size: 0, reclaim: false },
  ])("a tombstone whose head holds $size bytes: reclaim=$reclaim", ({ size, reclaim }) => {
    const p = planOf({
      entries: [tomb(T, DESTROYED), snapVol(LIVE_SNAP, T)],
      rows: [headRow(T, size), snapRow(T, LIVE_SNAP)],
    });
    expect(p.tombstones).toBe(1);
    // Kept for its snapshot either way, so only the reclaim depends on the size.
    expect(waitingFor(p, T)).toHaveLength(1);
    expect(p.actions).toEqual(reclaim ? [{ kind: "reclaim", image: T, bytes: size }] : []);
  });

  it.each([
    { what: "one referenced snapshot", snaps: [LIVE_SNAP], referenced: [LIVE_SNAP], count: 1 },
    { what: "two referenced snapshots", snaps: [LIVE_SNAP, u(103)], referenced: [LIVE_SNAP, u(103)], count: 2 },
    { what: "one referenced, one not", snaps: [u(104), LIVE_SNAP], referenced: [LIVE_SNAP], count: 1 },
  ])("a tombstone with $what is kept (waiting, no trash-move) but its head is reclaimed", ({ snaps, referenced, count }) => {
    const p = planOf({
      entries: [tomb(T, DESTROYED), ...referenced.map((s) => snapVol(s, T))],
      rows: [headRow(T, 2 * GiB), ...snaps.map((s) => snapRow(T, s))],
    });
    expect(kindsOn(p, T)).not.toContain("trash-move");
    expect(on(p, T)).toContainEqual({ kind: "reclaim", image: T, bytes: 2 * GiB });
    const w = waitingFor(p, T);
    expect(w).toHaveLength(1);
    expect(w[0]!.why).toContain(`${count} snapshot`);
    // Unreferenced snapshots go even while the tombstone stays.
    const removed = on(p, T).flatMap((a) => (a.kind === "snap-remove" ? [a.snap] : []));
    expect(removed).toEqual(snaps.filter((s) => !referenced.includes(s)));
  });

  it("a snapshot shared by a snapshot-of-a-snapshot record keeps the tombstone after the first record goes", () => {
    // Two records name the same RBD snapshot (Volume.snapshot of a snapshot shares it); one left.
    const p = planOf({
      entries: [tomb(T, DESTROYED), snapVol(u(105), T, LIVE_SNAP)],
      rows: [headRow(T, 0), snapRow(T, LIVE_SNAP)],
    });
    expect(p.actions).toEqual([]);
    expect(waitingFor(p, T)).toHaveLength(1);
  });

  it.each([
    { what: "no snapshots left, empty head", snaps: [] as string[], size: 0 },
    { what: "no snapshots left, data in the head", snaps: [] as string[], size: GiB },
    { what: "two unreferenced snapshots", snaps: [u(106), u(107)], size: 0 },
    { what: "an unreferenced snapshot and data in the head", snaps: [u(108)], size: GiB },
  ])("a tombstone with $what goes to the trash, its snapshots removed first", ({ snaps, size }) => {
    const p = planOf({
      entries: [tomb(T, DESTROYED), head(u(109), img(110))],
      rows: [headRow(T, size), ...snaps.map((s) => snapRow(T, s)), headRow(img(110), GiB)],
    });
    expect(p.actions).toEqual([
      ...(size > 0 ? [{ kind: "reclaim", image: T, bytes: size }] : []),
      ...snaps.map((snap) => ({ kind: "snap-remove", image: T, snap })),
      { kind: "trash-move", image: T },
    ]);
    expect(waitingFor(p, T)).toEqual([]);
    // Order matters: once in the trash the image is out of reach of `rbd snap rm` by name.
    const move = index(p, (a) => a.kind === "trash-move");
    for (const snap of snaps) expect(index(p, (a) => a.kind === "snap-remove" && a.snap === snap)).toBeLessThan(move);
  });

  it("a snapshot name referenced on another image does not keep a tombstone", () => {
    const s = u(113);
    const p = planOf({
      entries: [tomb(T, DESTROYED), head(u(114), img(115)), snapVol(s, img(115))],
      rows: [headRow(T, 0), snapRow(T, s), headRow(img(115), GiB), snapRow(img(115), s)],
    });
    expect(p.actions).toEqual([
      { kind: "snap-remove", image: T, snap: s },
      { kind: "trash-move", image: T },
    ]);
  });

  it.each([
    { what: "gone (trashed already)", trash: [{ id: "5f1e2d3c4b5a", name: T }] },
    { what: "gone altogether", trash: [] },
  ])("a tomb: entry whose image is $what is dropped", ({ trash }) => {
    const p = planOf({ entries: [tomb(T, DESTROYED)], rows: [], trash });
    expect(dropped(p)).toEqual([K.tomb(T)]);
    expect(p.actions.filter((a) => a.kind === "trash-move" || a.kind === "reclaim")).toEqual([]);
  });

  it("a tomb: entry whose image is named by an operation under way is not dropped", () => {
    // A revert between its clone and its commit: the tomb: entry is written, the listing is stale.
    const p = planOf({
      entries: [tomb(T, DESTROYED), op(u(111), { op: "revert", key: DESTROYED, snapshot: LIVE_SNAP, image: img(112), old: T, snapImage: T, snap: LIVE_SNAP })],
      rows: [],
    });
    expect(dropped(p)).toEqual([]);
  });
});

// ---- tombstones that must not be collected -------------------------------------------------

describe("a tombstone on an image still in use is held, never reclaimed or trashed", () => {
  const T = img(150);
  const KEY = u(151);
  const HOST = u(152);
  // `act:<key>`, as Datapath.activate stores it.
  const act = (key: string, text = JSON.stringify({ host: HOST, domain: "7", scheme: "rbd+nbd", since: CREATED, clients: [] })): Entry => [`act:${key}`, text];
  const collecting = (p: Plan, image: string) => on(p, image).filter((a) => a.kind === "reclaim" || a.kind === "trash-move");

  it.each([
    { what: "no snapshots", snaps: [] as string[] },
    { what: "an unreferenced snapshot", snaps: [u(153)] },
  ])("whose image is a live volume's head ($what): held, with the volume named", ({ snaps }) => {
    const p = planOf({ entries: [head(KEY, T), tomb(T, u(154))], rows: [headRow(T, 2 * GiB), ...snaps.map((s) => snapRow(T, s))] });
    expect(collecting(p, T)).toEqual([]);
    expect(waitingFor(p, T).map((w) => w.why)).toEqual([expect.stringMatching(new RegExp(`held.*live volume ${KEY}`))]);
    // The image is then an ordinary live head: its unreferenced snapshots still go, its entry stays.
    expect(on(p, T)).toEqual(snaps.map((snap) => ({ kind: "snap-remove", image: T, snap })));
    expect(dropped(p)).toEqual([]);
  });

  it.each([
    { what: "active on a host", record: undefined, host: HOST },
    { what: "active, its activation record unreadable", record: "{not json", host: UNREADABLE_HOST },
  ])("whose destroyed volume is $what: held, with the host named", ({ record, host }) => {
    const p = planOf({ entries: [tomb(T, KEY), record === undefined ? act(KEY) : act(KEY, record)], rows: [headRow(T, 2 * GiB)] });
    expect(collecting(p, T)).toEqual([]);
    expect(waitingFor(p, T).map((w) => w.why)).toEqual([expect.stringMatching(new RegExp(`held.*${KEY}.*active on host ${host.replace(/[()]/g, "\\$&")}`))]);
  });

  it("control: the old head of a revert, its volume active on its new image, is reclaimed and trashed", () => {
    const p = planOf({ entries: [head(KEY, img(155)), tomb(T, KEY), act(KEY)], rows: [headRow(T, 2 * GiB), headRow(img(155), GiB)] });
    expect(on(p, T)).toEqual([
      { kind: "reclaim", image: T, bytes: 2 * GiB },
      { kind: "trash-move", image: T },
    ]);
  });

  it("control: an active snapshot of a tombstone does not hold the head's reclaim (the snapshot keeps its data)", () => {
    const s = u(156);
    const p = planOf({ entries: [tomb(T, KEY), snapVol(s, T), act(s)], rows: [headRow(T, 2 * GiB), snapRow(T, s)] });
    expect(on(p, T)).toEqual([{ kind: "reclaim", image: T, bytes: 2 * GiB }]);
  });

  it("a held tombstone is no dead parent: its clone is not flattened as an orphan", () => {
    const c = img(157);
    const p = planOf({
      entries: [head(KEY, T), tomb(T, u(158)), head(u(159), c)],
      rows: [headRow(T, GiB), snapRow(T, `clone-${u(159)}`), headRow(c, GiB, { image: T, snapshot: `clone-${u(159)}` })],
    });
    expect(flattened(p)).toEqual([]);
  });
});
