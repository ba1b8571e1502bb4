// parseSrState: the SR's omap entries, built by hand with the K.* key builders, read back.
import { describe, expect, it } from "vitest";
import { K, recordEntries, type SrConfig, type Tombstone, type VolumeRecord } from "../../volume/meta/layout.js";
import { missingIndex, parseSrState } from "../../volume/meta/sr-state.js";

const A = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const B = "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d";
const UNKNOWN = "0f0e0d0c-0b0a-4908-8706-050403020100";
const DESTROYED = "11111111-2222-4333-8444-555555555555";

const recA: VolumeRecord = { uuid: A, image: "vol-a", sharable: false, size: 4194304, created: "2026-11-21T08:00:00.000Z" };
const recB: VolumeRecord = { uuid: B, image: "vol-a", snap: "snap-b", sharable: true, size: 0, created: "2026-11-21T08:01:00.000Z", parent: A };
const config: SrConfig = { version: 1, uuid: "sr-uuid", features: ["layering"], created: "2026-11-21T07:00:00.000Z" };
const tomb: Tombstone = { image: "vol-old", key: DESTROYED, since: "2026-11-21T07:30:00.000Z" };

// xapi keys as xapi sets them (spec section 10), plus the awkward ones.
const KEYS_A: Record<string, string> = {
  "vdi-type": "user",
  "sm-config:host_OpaqueRef:1": "RW",
  "odd\nkey: with %41 and é": 'line1\nline2 "q" $(x)',
  "100%": "",
  "": "empty name",
};

function entries(): Map<string, string> {
  const m = new Map<string, string>([
    [K.config, JSON.stringify(config)],
    [K.name, "My SR"],
    [K.description, "for tests\nwith a newline"],
    [K.vol(A), JSON.stringify(recA)],
    [K.nam(A), "disk A"],
    [K.dsc(A), "first disk"],
    [K.use(A), "12345"],
    [K.vol(B), JSON.stringify(recB)],
    [K.img("vol-a", B), ""],
    [K.tomb("vol-old"), JSON.stringify(tomb)],
    [K.op("op-1"), '{"op":"create","key":"x"}'],
    [K.op("op-2"), "not even json"],
    [K.gone(DESTROYED), ""],
  ]);
  for (const [k, v] of Object.entries(KEYS_A)) m.set(K.xkey(A, k), v);
  return m;
}

describe("K", () => {
  it("percent-encodes xapi key names so that no newline reaches the omap listing", () => {
    expect(K.xkey(A, "a:b\nc")).toBe(`key:${A}:a%3Ab%0Ac`);
    expect(K.xkey(A, "a:b\nc")).not.toContain("\n");
  });
});

describe("parseSrState", () => {
  const state = parseSrState(entries());

  it("reads the SR's own entries", () => {
    expect(state.config).toEqual(config);
    expect(state.name).toBe("My SR");
    expect(state.description).toBe("for tests\nwith a newline");
  });

  it("reads each volume with its name, description and keys", () => {
    expect([...state.volumes.keys()].sort()).toEqual([A, B].sort());
    expect(state.volumes.get(A)).toEqual({ key: A, record: recA, name: "disk A", description: "first disk", keys: KEYS_A });
    expect(state.volumes.get(B)).toEqual({ key: B, record: recB, name: "", description: "", keys: {} });
  });

  it("gives the xapi keys back verbatim", () => {
    const keys = state.volumes.get(A)?.keys ?? {};
    expect(Object.keys(keys).sort()).toEqual(Object.keys(KEYS_A).sort());
    expect(keys["odd\nkey: with %41 and é"]).toBe('line1\nline2 "q" $(x)');
  });

  it("reads tombstones, journal entries, gone keys and usage", () => {
    expect(state.tombstones).toEqual(new Map([["vol-old", tomb]]));
    expect(state.ops).toEqual(
      new Map([
        ["op-1", '{"op":"create","key":"x"}'],
        ["op-2", "not even json"],
      ]),
    );
    expect([...state.gone.keys()]).toEqual([DESTROYED]);
    expect(state.usage.get(A)).toBe(12345);
    expect(state.usage.has(B)).toBe(false);
  });

  it("has no strays when everything belongs to a volume", () => {
    expect(state.strays).toEqual([]);
  });

  it("without sr:config, has no config", () => {
    const m = entries();
    m.delete(K.config);
    const s = parseSrState(m);
    expect(s.config).toBeUndefined();
    expect("config" in s).toBe(false);
    expect(s.volumes.size).toBe(2);
  });

  it.each([
    ["not JSON", "{"],
    ["an unknown version", JSON.stringify({ ...config, version: 3 })],
    ["a missing field", JSON.stringify({ version: 1, uuid: "x", features: [] })],
  ])("with an sr:config that is %s, has no config", (_what, text) => {
    const m = entries();
    m.set(K.config, text);
    expect(parseSrState(m).config).toBeUndefined();
  });

  it("reads an empty omap as an empty SR", () => {
    const s = parseSrState(new Map());
    expect(s).toMatchObject({ name: "", description: "", strays: [] });
    expect(s.config).toBeUndefined();
    expect(s.volumes.size + s.tombstones.size + s.ops.size + s.gone.size + s.usage.size).toBe(0);
  });
});

describe("the image index", () => {
  it("holds the entry of each snapshot record, none of a head's, and is found missing when absent", () => {
    expect(recordEntries(B, recB)).toEqual({ [K.vol(B)]: JSON.stringify(recB), [K.img("vol-a", B)]: "" });
    expect(Object.keys(recordEntries(A, recA))).toEqual([K.vol(A)]);
    const state = parseSrState(entries());
    expect([...state.index]).toEqual([K.img("vol-a", B)]);
    expect(missingIndex(state)).toEqual([]);
    const m = entries();
    m.delete(K.img("vol-a", B));
    expect(missingIndex(parseSrState(m))).toEqual([[B, K.img("vol-a", B)]]);
  });

  it("accepts layouts 1 and 2", () => {
    for (const version of [1, 2] as const) {
      const m = entries();
      m.set(K.config, JSON.stringify({ ...config, version }));
      expect(parseSrState(m).config?.version).toBe(version);
    }
  });
});

describe("parseSrState strays", () => {
  const strayCases: Array<[string, string, string]> = [
    ["a name of an unknown volume", K.nam(UNKNOWN), "n"],
    ["a description of an unknown volume", K.dsc(UNKNOWN), "d"],
    ["a usage of an unknown volume", K.use(UNKNOWN), "5"],
    ["an xapi key of an unknown volume", K.xkey(UNKNOWN, "vdi-type"), "user"],
    ["an xapi key of a destroyed volume", K.xkey(DESTROYED, "vdi-type"), "user"],
    ["an xapi key with a short volume key", "key:abc:vdi-type", "user"],
    ["an xapi key with no separator", `key:${A}vdi-type`, "user"],
    ["an xapi key with percent-garbage", `key:${A}:%E0%A4%A`, "x"],
    ["an unparsable volume record", K.vol(UNKNOWN), "{not json"],
    ["a volume record of the wrong shape", K.vol(UNKNOWN), JSON.stringify({ ...recA, size: -1 })],
    ["an unparsable tombstone", K.tomb("vol-x"), "[]"],
    ["an index entry of an unknown volume", K.img("vol-a", UNKNOWN), ""],
    ["an index entry of a head", K.img("vol-a", A), ""],
    ["an index entry under another image", K.img("vol-b", B), ""],
    ["an index entry with a short key", "img:vol-a:abc", ""],
    ["an index entry with no separator", `img:vol-a${B}`, ""],
  ];

  it.each(strayCases)("%s is a stray", (_what, k, v) => {
    const m = entries();
    m.set(k, v);
    const s = parseSrState(m);
    expect(s.strays).toEqual([k]);
    // ...and changes nothing else.
    expect([...s.volumes.keys()].sort()).toEqual([A, B].sort());
    expect(s.volumes.get(A)?.keys).toEqual(KEYS_A);
    expect(s.tombstones.size).toBe(1);
  });

  it("an unparsable record makes its volume vanish, and its entries strays", () => {
    const m = entries();
    m.set(K.vol(A), "{");
    const s = parseSrState(m);
    expect(s.volumes.has(A)).toBe(false);
    expect(s.volumes.has(B)).toBe(true);
    expect([...s.strays].sort()).toEqual([K.vol(A), K.nam(A), K.dsc(A), K.use(A), ...Object.keys(KEYS_A).map((k) => K.xkey(A, k))].sort());
  });

  it.each(["-1", "1.5", "abc", "9007199254740993"])("ignores a usage of %j", (v) => {
    const m = entries();
    m.set(K.use(A), v);
    expect(parseSrState(m).usage.has(A)).toBe(false);
  });
});
