// The `sr` string: formatted on attach, parsed on every later call, re-validated each time.
import { describe, expect, it } from "vitest";
import { formatSrPlace, parseSrPlace, type SrPlace, srPlaceOf } from "../../volume/sr/sr-place.js";
import { parseDeviceConfig } from "../../volume/sr/config.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";

const cluster = { conf: "/etc/ceph/ceph.conf", user: "admin" };
const refs: Array<[string, SrPlace]> = [
  ["plain", { cluster, pool: "rbd", namespace: "sr-1", datapath: "rbd" }],
  ["rbd+nbd", { cluster, pool: "rbd", namespace: "sr-1", datapath: "rbd+nbd" }],
  ["a keyring", { cluster: { ...cluster, keyring: "/etc/ceph/ceph.client.admin.keyring" }, pool: "rbd", namespace: "sr-1", datapath: "rbd" }],
  ["a monhost", { cluster: { ...cluster, monHost: "[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]" }, pool: "rbd", namespace: "n", datapath: "rbd+nbd" }],
  [
    "everything, with odd names",
    {
      cluster: { conf: "/etc/ceph/a-b+c.conf", user: "xcp.1", keyring: "/k?e&y=1", monHost: "10.0.0.1:6789,10.0.0.2" },
      pool: "p%?&=é",
      namespace: "n#1%",
      datapath: "rbd+nbd",
    },
  ],
];

describe("formatSrPlace -> parseSrPlace", () => {
  it.each(refs)("round-trips %s", (_what, ref) => {
    const sr = formatSrPlace(ref);
    expect(sr.startsWith("ceph-rbd://")).toBe(true);
    expect(parseSrPlace(sr)).toEqual(ref);
    expect(parseSrPlace(sr).cluster.keyring).toBe(ref.cluster.keyring);
  });

  it("leaves the default datapath out of the string", () => {
    expect(formatSrPlace(refs[0]![1])).toBe("ceph-rbd://rbd/sr-1?conf=%2Fetc%2Fceph%2Fceph.conf&user=admin");
    expect(formatSrPlace(refs[1]![1])).toContain("datapath=rbd%2Bnbd");
  });

  it("is what srPlaceOf gives for a device-config", () => {
    const c = parseDeviceConfig({ pool: "rbd", user: "client.xcp", keyring: "/k", datapath: "rbd+nbd" });
    const ref = srPlaceOf(c, "sr-9");
    expect(ref).toEqual({ cluster: { conf: "/etc/ceph/ceph.conf", user: "xcp", keyring: "/k" }, pool: "rbd", namespace: "sr-9", datapath: "rbd+nbd" });
    expect(parseSrPlace(formatSrPlace(ref))).toEqual(ref);
  });
});

describe("parseSrPlace refuses", () => {
  const q = "conf=%2Fetc%2Fceph%2Fceph.conf&user=admin";
  it.each([
    ["another scheme", `rbd://rbd/sr-1?${q}`],
    ["a volume URI", `rbd://rbd/sr-1/vol-1?${q}&key=k`],
    ["no namespace", `ceph-rbd://rbd?${q}`],
    ["an empty namespace", `ceph-rbd://rbd/?${q}`],
    ["no query", "ceph-rbd://rbd/sr-1"],
    ["no conf", "ceph-rbd://rbd/sr-1?user=admin"],
    ["no user", "ceph-rbd://rbd/sr-1?conf=%2Fetc%2Fceph%2Fceph.conf"],
    ["a relative conf", "ceph-rbd://rbd/sr-1?conf=ceph.conf&user=admin"],
    ["percent-garbage in the pool", `ceph-rbd://%E0%A4%A/sr-1?${q}`],
    ["percent-garbage in the namespace", `ceph-rbd://rbd/%ZZ?${q}`],
    ["a pool with /", `ceph-rbd://a%2Fb/sr-1?${q}`],
    ["a namespace with @", `ceph-rbd://rbd/a%40b?${q}`],
    ["a pool with a newline", `ceph-rbd://a%0Ab/sr-1?${q}`],
    ["an unknown datapath", `ceph-rbd://rbd/sr-1?${q}&datapath=nfs`],
    ["a monhost with a newline", `ceph-rbd://rbd/sr-1?${q}&monhost=a%0Ab`],
    ["nothing", ""],
  ])("%s with Invalid_parameters", (_what, sr) => {
    expect(() => parseSrPlace(sr)).toThrow(Invalid_parameters);
  });
});
