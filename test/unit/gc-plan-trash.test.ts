// When the GC's planner (volume/gc/plan.ts) purges a trash entry: only once no clone, in the trash or
// not, still reads it.
import { describe, expect, it } from "vitest";
import { u, img, GiB, head, snapVol, tomb, headRow, snapRow } from "../helpers/gc-plan-world.js";
import { planOf, waitingFor } from "../helpers/gc-plan-world.js";

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
