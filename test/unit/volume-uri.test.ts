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
