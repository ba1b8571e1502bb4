// Caps on the strings a verb stores (names, descriptions, xapi's keys and values), in UTF-8
// bytes: a value at its cap is taken, one byte more is refused with the field and the cap named.
import { describe, expect, it } from "vitest";
import type * as z from "zod/mini";
import { describeIssues } from "../../plugins/wire/issues.js";
import * as V from "../../plugins/wire/verbs.js";

const SR = "ceph-rbd://rbd/sr-1?conf=%2Fetc%2Fceph%2Fceph.conf&user=admin";
const KEY = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const UUID = "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d";

// A string of exactly `bytes` UTF-8 bytes, mostly two-byte characters: fewer characters than bytes.
const ofBytes = (bytes: number): string => "é".repeat(Math.floor(bytes / 2)) + "a".repeat(bytes % 2);

const cases: Array<[string, { params: z.ZodMiniType }, Record<string, unknown>, string, number]> = [
  ["SR.create name", V.SrCreate, { uuid: UUID, configuration: {}, description: "" }, "name", 4096],
  ["SR.create description", V.SrCreate, { uuid: UUID, configuration: {}, name: "" }, "description", 4096],
  ["SR.set_name", V.SrSetName, { sr: SR }, "new_name", 4096],
  ["SR.set_description", V.SrSetDescription, { sr: SR }, "new_description", 4096],
  ["Volume.create name", V.VolumeCreate, { sr: SR, description: "", size: 0, sharable: false }, "name", 4096],
  ["Volume.create description", V.VolumeCreate, { sr: SR, name: "", size: 0, sharable: false }, "description", 4096],
  ["Volume.set_name", V.VolumeSetName, { sr: SR, key: KEY }, "new_name", 4096],
  ["Volume.set_description", V.VolumeSetDescription, { sr: SR, key: KEY }, "new_description", 4096],
  ["Volume.set k", V.VolumeSet, { sr: SR, key: KEY, v: "" }, "k", 256],
  ["Volume.set v", V.VolumeSet, { sr: SR, key: KEY, k: "k" }, "v", 65536],
];

describe("stored strings are capped in UTF-8 bytes", () => {
  it.each(cases)("%s", (_what, verb, rest, field, cap) => {
    const parse = (value: string) => verb.params.safeParse({ dbg: "caps", ...rest, [field]: value });
    expect(parse(ofBytes(cap)).success).toBe(true);
    expect(parse("a".repeat(cap)).success).toBe(true);
    const over = parse(ofBytes(cap + 1));
    expect(over.success).toBe(false);
    expect(describeIssues(over.error?.issues ?? [])).toBe(`${field}: must be at most ${cap} bytes (UTF-8)`);
  });

  it("lets Volume.unset remove a key stored before the cap", () => {
    expect(V.VolumeUnset.params.safeParse({ dbg: "caps", sr: SR, key: KEY, k: "k".repeat(4096) }).success).toBe(true);
  });
});
