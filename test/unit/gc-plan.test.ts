// The GC's planner (volume/gc/plan.ts) is pure: from the SR's omap (parsed by parseSrState), the
// `rbd ls -l` listing (folded by imageFacts) and the trash listing, it decides what to do. These
// tests pin its rules one by one, with metadata built exactly as the product writes it.
import { describe, expect, it } from "vitest";
import type { LongList } from "../../plugins/ceph/outputs.js";
import type { Limits } from "../../volume/gc/limits.js";
import { HEAVY, imageFacts, makePlan, type Action, type Plan, type TrashEntry } from "../../volume/gc/plan.js";
import { parseEntry, type Op } from "../../volume/journal/journal.js";
import { UNREADABLE_HOST } from "../../plugins/wire/sr-object.js";
import { K, parseSrState, type Tombstone, type VolumeRecord } from "../../volume/meta/layout.js";

// ---- fixtures -------------------------------------------------------------------------------

// Distinct, UUID-shaped names (volume keys, snapshot names, journal ids).
const u = (n: number): string => `${n.toString(16).padStart(8, "0")}-7c3e-4b1a-9d2f-5e6a7b8c9d0e`;
const img = (n: number): string => `vol-${u(n)}`;

const GiB = 1024 ** 3;
const CREATED = "2025-01-10T12:00:00.000Z";
const NOW = Date.parse("2025-02-01T00:00:00.000Z");
const DAY = 86_400_000;
const LIMITS: Limits = { softDepth: 8, hardDepth: 14, goneDays: 7 };

type Entry = [string, string];

interface RecSpec {
  readonly key: string;
  readonly image: string;
  readonly snap?: string;
  readonly size?: number;
  readonly parent?: string;
}

// `vol:<key>`, as writeVolume stores it.
const vol = (r: RecSpec): Entry => {
  const record: VolumeRecord = {
    uuid: r.key,
    image: r.image,
    ...(r.snap !== undefined ? { snap: r.snap } : {}),
    sharable: false,
    size: r.size ?? GiB,
    created: CREATED,
    ...(r.parent !== undefined ? { parent: r.parent } : {}),
    family: r.parent ?? r.key,
  };
  return [K.vol(r.key), JSON.stringify(record)];
};
const head = (key: string, image: string): Entry => vol({ key, image });
// A snapshot volume: as Volume.snapshot makes it, the RBD snapshot is named after the new key.
const snapVol = (key: string, image: string, snap = key): Entry => vol({ key, image, snap });
// `tomb:<image>`, as destroy and revert store it.
const tomb = (image: string, key: string, since = CREATED): Entry => {
  const t: Tombstone = { image, key, since };
  return [K.tomb(image), JSON.stringify(t)];
};
// `op:<id>`, as journal.begin stores it; checked against the journal's own schema.
const op = (id: string, o: Op): Entry => {
  const text = JSON.stringify({ id, started: CREATED, owner: "4242", op: o });
  if (!parseEntry(text)) throw new Error(`fixture: not a journal entry: ${text}`);
  return [K.op(id), text];
};
const gone = (key: string, iso: string): Entry => [K.gone(key), iso];

// `rbd ls -l --format json` rows.
const headRow = (image: string, size: number, parent?: { image: string; snapshot: string }): LongList[number] => ({
  image,
  id: `id-${image.slice(-6)}`,
  size,
  ...(parent ? { parent: { pool: "rbd", pool_namespace: "sr-ns", image: parent.image, snapshot: parent.snapshot } } : {}),
});
const snapRow = (image: string, snapshot: string, size = GiB): LongList[number] => ({ image, id: `id-${image.slice(-6)}`, snapshot, size });

interface World {
  readonly entries?: readonly Entry[];
  readonly rows?: LongList;
  readonly trash?: readonly TrashEntry[];
  readonly limits?: Partial<Limits>;
  readonly now?: number;
}

const planOf = (w: World): Plan =>
  makePlan(parseSrState(new Map(w.entries ?? [])), imageFacts(w.rows ?? []), w.trash ?? [], { ...LIMITS, ...w.limits }, w.now ?? NOW);

const on = (p: Plan, image: string): Action[] => p.actions.filter((a) => "image" in a && a.image === image);
const kindsOn = (p: Plan, image: string): string[] => on(p, image).map((a) => a.kind);
const waitingFor = (p: Plan, item: string) => p.waiting.filter((w) => w.item === item);
const flattened = (p: Plan): string[] => p.actions.flatMap((a) => (a.kind === "flatten" ? [a.image] : []));
const dropped = (p: Plan): string[] => p.actions.flatMap((a) => (a.kind === "drop-entry" ? [a.entry] : []));
const index = (p: Plan, pred: (a: Action) => boolean): number => p.actions.findIndex(pred);

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

// ---- user snapshots -------------------------------------------------------------------------

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

// ---- orphaned clones ------------------------------------------------------------------------

describe("clones of a dead parent", () => {
  const P = img(300); // the parent image
  const C = img(301); // the clone
  const C_KEY = u(302);
  const P_KEY = u(303);
  const KEPT = u(304); // a snapshot of P some record still references
  const LOOSE = u(305); // a snapshot of P no record references
  const TRASH_ID = "1a2b3c4d5e6f";

  type Case = { what: string; parentIs: "tombstone" | "trashed" | "live"; through: string; flatten: boolean };
  it.each<Case>([
    { what: "a tombstone, through an unreferenced snapshot", parentIs: "tombstone", through: LOOSE, flatten: true },
    { what: "a tombstone, through a clone's temporary snapshot", parentIs: "tombstone", through: `clone-${C_KEY}`, flatten: true },
    { what: "in the trash, through an unreferenced snapshot", parentIs: "trashed", through: `clone-${C_KEY}`, flatten: true },
    { what: "a tombstone, through a referenced snapshot", parentIs: "tombstone", through: KEPT, flatten: false },
    { what: "a live head, through an unreferenced snapshot", parentIs: "live", through: `clone-${C_KEY}`, flatten: false },
    { what: "a live head, through a referenced snapshot", parentIs: "live", through: KEPT, flatten: false },
  ])("a clone whose parent is $what: flatten=$flatten", ({ parentIs, through, flatten }) => {
    const entries: Entry[] = [head(C_KEY, C)];
    const rows: LongList = [headRow(C, GiB, { image: P, snapshot: through })];
    const trash: TrashEntry[] = [];
    if (parentIs === "tombstone") entries.push(tomb(P, P_KEY));
    if (parentIs === "live") entries.push(head(P_KEY, P));
    if (parentIs === "trashed") trash.push({ id: TRASH_ID, name: P });
    else {
      // P is listed, with a snapshot a snapshot volume still references.
      entries.push(snapVol(KEPT, P));
      rows.push(headRow(P, 0), snapRow(P, KEPT));
    }
    const p = planOf({ entries, rows, trash });
    if (flatten) {
      expect(on(p, C)).toEqual([{ kind: "flatten", image: C, reason: expect.stringContaining(P) }]);
    } else {
      expect(on(p, C)).toEqual([]);
    }
    // Never the parent: it is not the one to flatten.
    expect(flattened(p)).not.toContain(P);
  });

  it("flattening is also what lets the trashed parent go: until then the trash entry waits for the clone", () => {
    const p = planOf({ entries: [head(C_KEY, C)], rows: [headRow(C, GiB, { image: P, snapshot: LOOSE })], trash: [{ id: TRASH_ID, name: P }] });
    expect(flattened(p)).toEqual([C]);
    expect(p.actions.filter((a) => a.kind === "trash-purge")).toEqual([]);
    expect(waitingFor(p, P).map((w) => w.why)).toEqual([expect.stringContaining("1 clone")]);
  });
});

// ---- clone depth ----------------------------------------------------------------------------

describe("clone depth", () => {
  // base → c1 → c2 → c3, each a clone of a snapshot (referenced by a snapshot volume) of the one before.
  const [BASE, C1, C2, C3] = [img(400), img(401), img(402), img(403)];
  const [S0, S1, S2] = [u(410), u(411), u(412)];
  const world = (softDepth: number): World => ({
    entries: [head(u(420), BASE), head(u(421), C1), head(u(422), C2), head(u(423), C3), snapVol(S0, BASE), snapVol(S1, C1), snapVol(S2, C2)],
    rows: [
      headRow(BASE, GiB),
      snapRow(BASE, S0),
      headRow(C1, GiB, { image: BASE, snapshot: S0 }),
      snapRow(C1, S1),
      headRow(C2, GiB, { image: C1, snapshot: S1 }),
      snapRow(C2, S2),
      headRow(C3, GiB, { image: C2, snapshot: S2 }),
    ],
    limits: { softDepth },
  });

  it("reports every image's depth", () => {
    const p = planOf(world(8));
    expect(Object.fromEntries(p.depth)).toEqual({ [BASE]: 0, [C1]: 1, [C2]: 2, [C3]: 3 });
  });

  it.each([
    { softDepth: 1, flatten: [C1, C2, C3] },
    { softDepth: 2, flatten: [C2, C3] },
    { softDepth: 3, flatten: [C3] },
    { softDepth: 4, flatten: [] },
    { softDepth: 8, flatten: [] },
  ])("with softDepth $softDepth, flattens $flatten", ({ softDepth, flatten }) => {
    const p = planOf(world(softDepth));
    expect(flattened(p).sort()).toEqual([...flatten].sort());
    // Nothing else: every snapshot is referenced and every head is live.
    expect(p.actions.every((a) => a.kind === "flatten")).toBe(true);
    for (const a of p.actions) {
      if (a.kind !== "flatten") continue;
      expect(a.reason).toContain(`depth ${p.depth.get(a.image)}`);
      expect(a.reason).toContain(`${softDepth}`);
    }
  });
});

// ---- the RBD trash --------------------------------------------------------------------------

describe("trash entries", () => {
  const READ = img(500);
  const UNREAD = img(501);
  const OTHER = img(502);

  it.each([
    { readers: 0, purge: true },
    { readers: 1, purge: false },
    { readers: 3, purge: false },
  ])("a trashed image read by $readers clone(s): purge=$purge", ({ readers, purge }) => {
    const clones = Array.from({ length: readers }, (_, i) => img(510 + i));
    const p = planOf({
      entries: [head(u(520), OTHER), ...clones.map((c, i) => head(u(530 + i), c))],
      rows: [headRow(OTHER, GiB), ...clones.map((c, i) => headRow(c, GiB, { image: READ, snapshot: `clone-${u(530 + i)}` }))],
      trash: [{ id: "aa11bb22cc33", name: READ }],
    });
    const purges = p.actions.filter((a) => a.kind === "trash-purge");
    if (purge) {
      expect(purges).toEqual([{ kind: "trash-purge", id: "aa11bb22cc33", name: READ }]);
      expect(waitingFor(p, READ)).toEqual([]);
    } else {
      expect(purges).toEqual([]);
      expect(waitingFor(p, READ).map((w) => w.why)).toEqual([expect.stringContaining(`read by ${readers} clone(s)`)]);
    }
  });

  it("a trash entry read by a clone in the trash waits for that clone's purge", () => {
    const trash = [
      { id: "read00000001", name: READ },
      { id: "clone0000002", name: UNREAD, parents: [READ] },
    ];
    const p = planOf({ trash });
    expect(p.actions.filter((a) => a.kind === "trash-purge")).toEqual([{ kind: "trash-purge", id: "clone0000002", name: UNREAD }]);
    expect(waitingFor(p, READ).map((w) => w.why)).toEqual([expect.stringContaining("read by 1 clone(s)")]);
    // Once the clone is purged, the parent goes.
    expect(planOf({ trash: trash.slice(0, 1) }).actions).toEqual([{ kind: "trash-purge", id: "read00000001", name: READ }]);
  });

  // Seen in the mixed load: a reclaimed clone in the trash reads nothing through its head, but
  // its snapshot, moved to the trash namespace because a live tombstone's snapshot is a clone of
  // it, still reads the trashed parent. The chain is live data: nothing in it may be purged.
  it("a trash entry read only through a trashed clone's snapshot waits, as does that clone", () => {
    const TOMB = img(503);
    const KEEP = u(504);
    const p = planOf({
      entries: [tomb(TOMB, u(507)), snapVol(KEEP, TOMB)],
      rows: [headRow(TOMB, 0), { ...snapRow(TOMB, KEEP), parent: { pool: "rbd", pool_namespace: "sr-ns", image: UNREAD, snapshot: u(506) } }],
      trash: [
        { id: "read00000001", name: READ, parents: [] },
        { id: "clone0000002", name: UNREAD, parents: [READ] },
      ],
    });
    expect(p.actions.filter((a) => a.kind === "trash-purge")).toEqual([]);
    expect(waitingFor(p, READ).map((w) => w.why)).toEqual([expect.stringContaining("read by 1 clone(s)")]);
    expect(waitingFor(p, UNREAD).map((w) => w.why)).toEqual([expect.stringContaining("read by 1 clone(s)")]);
  });

  it("each trash entry is judged on its own readers", () => {
    const p = planOf({
      entries: [head(u(540), OTHER)],
      rows: [headRow(OTHER, GiB, { image: READ, snapshot: u(541) })],
      trash: [
        { id: "read00000001", name: READ },
        { id: "unread000002", name: UNREAD },
      ],
    });
    expect(p.actions.filter((a) => a.kind === "trash-purge")).toEqual([{ kind: "trash-purge", id: "unread000002", name: UNREAD }]);
    expect(waitingFor(p, READ)).toHaveLength(1);
    expect(waitingFor(p, UNREAD)).toEqual([]);
  });
});

// ---- housekeeping ---------------------------------------------------------------------------

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

// ---- heavy work -----------------------------------------------------------------------------

describe("HEAVY", () => {
  it("is exactly flatten and trash-purge (the work paused on an unhealthy cluster)", () => {
    expect([...HEAVY].sort()).toEqual(["flatten", "trash-purge"]);
  });
});
