// Volume URIs: whatever the legal names, what the datapath parses is what the volume plugin
// formatted; a forged URI naming an option or a second argument is refused.
import { describe, expect, it } from "vitest";
import { formatVolumeUri, parseVolumeUri, SCHEMES, type VolumeLocation } from "../../plugins/wire/volume-uri.js";

const KEY = "6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11";
const base: VolumeLocation = {
  scheme: "rbd",
  cluster: { conf: "/etc/ceph/ceph.conf", user: "admin" },
  pool: "rbd",
  namespace: "sr-1",
  image: "vol-1",
  key: KEY,
};

const names = ["rbd", "100%", "a?b", "a&b=c", "é∂🚀日本", "%41%2F", "a+b", "x#y", "..", "'quoted'(x)!*~", "a-b"];

const locations: Array<[string, VolumeLocation]> = [["plain", base]];
for (const scheme of SCHEMES) {
  for (const n of names) {
    locations.push([`${scheme} pool ${n}`, { ...base, scheme, pool: n }]);
    locations.push([`${scheme} namespace ${n}`, { ...base, scheme, namespace: n }]);
    locations.push([`${scheme} image ${n}`, { ...base, scheme, image: n, snap: n }]);
  }
  locations.push([`${scheme} empty namespace`, { ...base, scheme, namespace: "" }]);
  locations.push([
    `${scheme} full cluster ref and snap`,
    {
      ...base,
      scheme,
      cluster: { conf: "/etc/ceph/my-ceph+1.conf", user: "client-1", keyring: "/etc/ceph/k?e&y=1", monHost: "[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]" },
      snap: "snap-é1",
    },
  ]);
  locations.push([`${scheme} keyring only`, { ...base, scheme, cluster: { ...base.cluster, keyring: "/k" } }]);
  locations.push([`${scheme} monhost only`, { ...base, scheme, cluster: { ...base.cluster, monHost: "10.0.0.1:6789" } }]);
  locations.push([`${scheme} monhost list`, { ...base, scheme, cluster: { ...base.cluster, monHost: "10.0.0.1:6789,mon-2.example.org,[::1]:6789" } }]);
}

describe("formatVolumeUri -> parseVolumeUri", () => {
  it.each(locations)("round-trips %s", (_what, loc) => {
    const uri = formatVolumeUri(loc);
    expect(uri.startsWith(`${loc.scheme}://`)).toBe(true);
    expect(uri).not.toMatch(/\s/);
    const back = parseVolumeUri(uri);
    expect(back).toEqual(loc);
    // Absent options stay absent rather than turning into empty strings.
    expect(back.snap).toBe(loc.snap);
    expect(back.cluster.keyring).toBe(loc.cluster.keyring);
    expect(back.cluster.monHost).toBe(loc.cluster.monHost);
  });

  // What SR.ls and every verb answered before the query was serialised by hand: xapi stores the
  // URIs, so the same volume keeps the very same string.
  it.each(locations)("formats %s byte for byte as URLSearchParams would", (_what, loc) => {
    const q = new URLSearchParams({ conf: loc.cluster.conf, user: loc.cluster.user });
    if (loc.cluster.keyring) q.set("keyring", loc.cluster.keyring);
    if (loc.cluster.monHost) q.set("monhost", loc.cluster.monHost);
    q.set("key", loc.key);
    if (loc.snap) q.set("snap", loc.snap);
    const path = [loc.pool, loc.namespace, loc.image].map(encodeURIComponent).join("/");
    expect(formatVolumeUri(loc)).toBe(`${loc.scheme}://${path}?${q.toString()}`);
  });

  it("serialises any query value as URLSearchParams does, lone surrogates and all", () => {
    const values = ["a b", "a+b %20", "!'()*~-._", "\u00e9\u2202\ud83d\ude80", "\ud800x", "x\udc00", "\udc00\ud800", '=&?#/:;,@$[]{}|\\^`"<>'];
    for (let i = 0; i < 200; i++) values.push(String.fromCharCode(...Array.from({ length: 8 }, (_, j) => (i * 7919 + j * 104729) % 0x10000)));
    for (const v of values) {
      const expected = new URLSearchParams({ conf: v, user: "u", keyring: v, monhost: v, key: v, snap: v }).toString();
      expect(formatVolumeUri({ ...base, cluster: { conf: v, user: "u", keyring: v, monHost: v }, key: v, snap: v }).split("?")[1]).toBe(expected);
    }
  });

  it("has the documented shape", () => {
    expect(formatVolumeUri({ ...base, snap: "s1" })).toBe(`rbd://rbd/sr-1/vol-1?conf=%2Fetc%2Fceph%2Fceph.conf&user=admin&key=${KEY}&snap=s1`);
  });
});

describe("parseVolumeUri refuses", () => {
  const q = `conf=%2Fetc%2Fceph%2Fceph.conf&user=admin&key=${KEY}`;
  it.each([
    ["another scheme", `nbd://rbd/ns/img?${q}`],
    ["file", `file://rbd/ns/img?${q}`],
    ["an upper-case scheme", `RBD://rbd/ns/img?${q}`],
    ["no query", "rbd://rbd/ns/img"],
    ["only two path parts", `rbd://rbd/img?${q}`],
    ["an empty pool", `rbd:///ns/img?${q}`],
    ["no conf", `rbd://rbd/ns/img?user=admin&key=${KEY}`],
    ["no user", `rbd://rbd/ns/img?conf=%2Fc&key=${KEY}`],
    ["no key", "rbd://rbd/ns/img?conf=%2Fc&user=admin"],
    ["an empty key", "rbd://rbd/ns/img?conf=%2Fc&user=admin&key="],
    ["nothing", ""],
  ])("%s", (_what, uri) => {
    expect(() => parseVolumeUri(uri)).toThrow();
  });
});

// Each part of a well-formed URI replaced by a value a tool would read as an option or as more
// than one argument: refused, naming the part.
describe("parseVolumeUri refuses an injection in", () => {
  const uriWith = (part: string, value: string): string => {
    const path = { pool: "rbd", namespace: "sr-1", image: "vol-1" } as Record<string, string>;
    const query = new URLSearchParams({ conf: "/etc/ceph/ceph.conf", user: "admin", key: KEY });
    if (part in path) path[part] = value;
    else query.set(part, value);
    return `rbd://${[path.pool, path.namespace, path.image].map((s) => encodeURIComponent(s ?? "")).join("/")}?${query.toString()}`;
  };
  it.each([
    ["pool", "--pool=other"],
    ["pool", "rb d"],
    ["namespace", "-n"],
    ["namespace", "a/b"],
    ["image", "--image-feature=journaling"],
    ["image", "vol-1@snap"],
    ["image", "vol\n1"],
    ["conf", "/etc/ceph/ceph.conf --keyring=/tmp/k"],
    ["conf", "etc/ceph/ceph.conf"],
    ["conf", "/etc/ceph\u0000x"],
    ["user", "--id=admin"],
    ["user", "admin other"],
    ["keyring", "/etc/ceph/x.keyring --plugin_dir=/var/tmp/x"],
    ["keyring", "-k"],
    ["keyring", "/etc/ceph/x.keyring\t--debug-ms=20"],
    ["monhost", "1.2.3.4:6789 --plugin_dir=/var/tmp/x"],
    ["monhost", "--plugin_dir=/var/tmp/x"],
    ["monhost", "1.2.3.4:6789,--plugin_dir=/var/tmp/x"],
    ["monhost", "1.2.3.4:6789,,host2"],
    ["monhost", "1.2.3.4;rm"],
    ["key", "--help"],
    ["key", "a b"],
    ["key", "k\u0085"],
    ["snap", "-s"],
    ["snap", "s 1"],
  ])("%s: %j", (part, value) => {
    expect(() => parseVolumeUri(uriWith(part, value))).toThrow(part);
  });
});
