// When two points of a disk have an unbroken CBT chain between them (volume/volume/cbt.ts), and
// when not: every broken case names why, so the consumer's fallback to a full backup is explained.
import { describe, expect, it } from "vitest";
import type { VolumeRecord } from "../../volume/meta/layout.js";
import type { VolumeState } from "../../volume/meta/sr-state.js";
import { afterRevert, chainBreak } from "../../volume/volume/cbt.js";

const rec = (r: Partial<VolumeRecord>): VolumeRecord => ({ uuid: "u", image: "vol-a", sharable: false, size: 4 << 20, created: "t", ...r });
const vol = (key: string, r: Partial<VolumeRecord>): VolumeState => ({ key, record: rec(r), name: "", description: "", keys: {} });

describe("chainBreak", () => {
  const s1 = vol("s1", { snap: "s1", cbt: "e1" });
  const s2 = vol("s2", { snap: "s2", cbt: "e1" });
  const head = vol("h", { cbt: "e1" });

  it("lets a snapshot pair or a snapshot and its disk of one image and epoch through", () => {
    expect(chainBreak(s1, s2)).toBeUndefined();
    expect(chainBreak(s1, head)).toBeUndefined();
    expect(chainBreak(vol("d", { snap: "s1", cbt: "e1", dataDestroyed: true }), head)).toBeUndefined();
  });

  it.each([
    ["the disk as the first volume", head, s1, /not a snapshot/],
    ["a first snapshot taken without CBT", vol("s0", { snap: "s0" }), head, /CBT was not on for s0/],
    ["CBT off on the disk now", s1, vol("h", {}), /CBT is off on h/],
    ["a later snapshot without CBT", s1, vol("s3", { snap: "s3" }), /CBT was not on for s3/],
    ["CBT disabled and enabled again in between", s1, vol("h", { cbt: "e2" }), /CBT disabled in between/],
    ["a revert in between (another image)", s1, vol("h", { image: "vol-b", cbt: "e1" }), /a revert/],
    ["another disk's snapshot", s1, vol("x", { image: "vol-x", snap: "x", cbt: "e9" }), /another disk/],
  ])("refuses %s", (_, from, to, why) => {
    expect(chainBreak(from, to)).toMatch(why);
  });

  it("a revert starts a new epoch on a tracked disk, and leaves an untracked one untracked", () => {
    const reverted = afterRevert(head.record, "vol-b", 8 << 20);
    expect(reverted).toMatchObject({ image: "vol-b", size: 8 << 20 });
    expect(reverted.cbt).toBeDefined();
    expect(reverted.cbt).not.toBe("e1");
    expect(afterRevert(rec({}), "vol-b", 1).cbt).toBeUndefined();
  });
});
