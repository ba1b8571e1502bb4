// What the GC's planner (volume/gc/plan.ts) flattens: clones of a dead parent and clone chains past
// the depth limits; and which of its work counts as heavy.
import { describe, expect, it } from "vitest";
import type { LongList } from "../../plugins/ceph/outputs.js";
import { HEAVY, type TrashEntry } from "../../volume/gc/plan.js";
import { u, img, GiB, type Entry, head, snapVol, tomb, headRow, snapRow, type World } from "../helpers/gc-plan-world.js";
import { planOf, on, waitingFor, flattened } from "../helpers/gc-plan-world.js";

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

// ---- heavy work -----------------------------------------------------------------------------

describe("HEAVY", () => {
  it("is exactly flatten and trash-purge (the work paused on an unhealthy cluster)", () => {
    expect([...HEAVY].sort()).toEqual(["flatten", "trash-purge"]);
  });
});
