// volumeReads: what a verb on a few volumes reads (names and prefix ranges) holds everything the
// whole SR's parse knows about those volumes, and nothing of the others.
import { describe, expect, it } from "vitest";
import { K, volumeReads, type SrConfig, type VolumeRecord } from "../../volume/meta/layout.js";
import { parseSrState } from "../../volume/meta/sr-state.js";

const A = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const B = "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d";
// Sorts right after A's entries: a prefix range of A's keys must not reach it.
const A2 = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d12";
const config: SrConfig = { version: 1, uuid: "sr-uuid", features: ["layering"], created: "2026-11-21T07:00:00.000Z" };
const rec = (key: string): VolumeRecord => ({ uuid: key, image: `vol-${key}`, sharable: false, size: 4194304, created: "2026-11-21T08:00:00.000Z" });
const activation = JSON.stringify({ host: "h1", domain: "d", scheme: "rbd+nbd", since: "now", clients: ["1.2.3.4:0/1"] });

// Every kind of entry for each volume, the SR's own, the journal and a tombstone.
function whole(): Map<string, string> {
  const m = new Map<string, string>([
    [K.config, JSON.stringify(config)],
    [K.name, "SR"],
    [K.description, "d"],
    [K.op("op-1"), JSON.stringify({ op: "resize", key: B })],
    [K.tomb("vol-old"), JSON.stringify({ image: "vol-old", key: "k", since: "s" })],
    [K.gcStatus, "{}"],
  ]);
  for (const key of [A, B, A2]) {
    m.set(K.vol(key), JSON.stringify(rec(key)));
    m.set(K.nam(key), `name ${key}`);
    m.set(K.dsc(key), `description ${key}`);
    m.set(K.use(key), "42");
    m.set(K.act(key), activation);
    m.set(K.xkey(key, "vdi-type"), "user");
    m.set(K.xkey(key, "odd:\nkey %"), key);
  }
  m.set(K.gone("11111111-2222-4333-8444-555555555555"), "");
  return m;
}

// The entries an omap_read of volumeReads(keys) returns: named keys present, prefix ranges.
function read(all: Map<string, string>, keys: string[]): Map<string, string> {
  const r = volumeReads(keys);
  return new Map([...all].filter(([k]) => r.keys.includes(k) || r.prefixes.some((p) => k.startsWith(p))));
}

describe("volumeReads", () => {
  it("gives, for the volumes it names, exactly what the whole SR's parse gives", () => {
    const all = parseSrState(whole());
    for (const keys of [[A], [A, B], []]) {
      const some = parseSrState(read(whole(), keys));
      expect(some.config).toEqual(all.config);
      expect([some.name, some.description]).toEqual([all.name, all.description]);
      expect(some.ops).toEqual(all.ops);
      expect([...some.volumes.keys()].sort()).toEqual([...keys].sort());
      for (const key of keys) {
        expect(some.volumes.get(key)).toEqual(all.volumes.get(key));
        expect(some.usage.get(key)).toBe(all.usage.get(key));
        expect(some.active.get(key)).toEqual(all.active.get(key));
      }
      expect(some.strays).toEqual([]);
    }
  });

  it("knows a destroyed key as such", () => {
    const gone = "11111111-2222-4333-8444-555555555555";
    expect(parseSrState(read(whole(), [gone])).gone.has(gone)).toBe(true);
  });
});
