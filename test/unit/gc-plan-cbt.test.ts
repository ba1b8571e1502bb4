// The GC and data-destroyed snapshots (cbt_metadata volumes): kept like any referenced snapshot,
// since RBD's diff needs them, with the reason said; the head's reclaim rules are unchanged.
import { describe, expect, it } from "vitest";
import { CREATED, GiB, headRow, img, kindsOn, planOf, snapRow, tomb, u, waitingFor, type Entry } from "../helpers/gc-plan-world.js";
import { K, type VolumeRecord } from "../../volume/meta/layout.js";

const cbtSnap = (key: string, image: string): Entry => {
  const r: VolumeRecord = { uuid: key, image, snap: key, sharable: false, size: GiB, created: CREATED, family: u(1), cbt: "e", dataDestroyed: true };
  return [K.vol(key), JSON.stringify(r)];
};

describe("a data-destroyed snapshot", () => {
  it("keeps its tombstone's snapshot, says why, and the head is still reclaimed", () => {
    const T = img(1);
    const p = planOf({ entries: [tomb(T, u(1)), cbtSnap(u(2), T)], rows: [headRow(T, GiB), snapRow(T, u(2))] });
    expect(kindsOn(p, T)).toEqual(["reclaim"]);
    expect(waitingFor(p, T).map((w) => w.why)).toEqual([expect.stringMatching(/1 of them cbt_metadata/)]);
  });

  it("once destroyed, lets the GC remove the snapshot and trash the tombstone", () => {
    const T = img(1);
    const p = planOf({ entries: [tomb(T, u(1))], rows: [headRow(T, 0), snapRow(T, u(2))] });
    expect(kindsOn(p, T).sort()).toEqual(["snap-remove", "trash-move"]);
  });
});
