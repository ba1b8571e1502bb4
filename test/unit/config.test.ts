// The SR's device-config: defaults, normalisation, and strict refusal of anything odd.
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS, formatDeviceConfig, parseDeviceConfig } from "../../volume/sr/config.js";
import { Invalid_parameters } from "../../plugins/wire/errors.js";

const refusal = (raw: Record<string, string>): Invalid_parameters => {
  try {
    parseDeviceConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(Invalid_parameters);
    return e as Invalid_parameters;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
};

describe("parseDeviceConfig", () => {
  it("fills the defaults and nothing else", () => {
    const c = parseDeviceConfig({ pool: "rbd" });
    expect(c).toEqual({ pool: "rbd", conf: "/etc/ceph/ceph.conf", user: "admin" });
    expect(c.keyring).toBeUndefined();
    expect(c.image_features).toBeUndefined();
    expect(c.datapath).toBeUndefined();
  });

  it.each([
    ["client.admin", "admin"],
    ["client.xcp-ng_1", "xcp-ng_1"],
    ["libvirt", "libvirt"],
  ])("takes user %s as %s", (user, id) => {
    expect(parseDeviceConfig({ pool: "rbd", user }).user).toBe(id);
  });

  it("keeps every key it knows", () => {
    const raw = {
      pool: "rbd",
      conf: "/etc/ceph/other.conf",
      user: "xcp",
      keyring: "/etc/ceph/ceph.client.xcp.keyring",
      monhost: "10.0.0.1:6789,10.0.0.2:6789",
      namespace: "sr-1",
      sr_uuid: "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d",
      image_features: "layering,exclusive-lock",
      datapath: "rbd+nbd",
    };
    expect(parseDeviceConfig(raw)).toEqual({ ...raw, image_features: ["layering", "exclusive-lock"] });
  });

  it("refuses an unknown key and lists the known ones", () => {
    const e = refusal({ pool: "rbd", poool: "rbd" });
    expect(e.params[0]).toBe("Invalid_parameters");
    expect(e.params[1]).toContain("poool");
    for (const k of Object.keys(CONFIG_KEYS)) expect(e.params[1]).toContain(k);
  });

  it.each([
    ["no pool", {}],
    ["an empty pool", { pool: "" }],
    ["a pool with /", { pool: "rbd/ns" }],
    ["a pool with @", { pool: "rbd@snap" }],
    ["a pool with a newline", { pool: "rbd\nx" }],
    ["a pool with a space", { pool: "my pool" }],
    ["a namespace with /", { pool: "rbd", namespace: "a/b" }],
    ["a relative conf", { pool: "rbd", conf: "etc/ceph/ceph.conf" }],
    ["an empty conf", { pool: "rbd", conf: "" }],
    ["a relative keyring", { pool: "rbd", keyring: "ceph.keyring" }],
    ["a conf with a newline", { pool: "rbd", conf: "/etc/ceph\n/x" }],
    ["a user with a space", { pool: "rbd", user: "ad min" }],
    ["an empty user", { pool: "rbd", user: "" }],
    ["a monhost with ;", { pool: "rbd", monhost: "10.0.0.1;rm -rf" }],
    ["a bad sr_uuid", { pool: "rbd", sr_uuid: "x" }],
    ["an unknown datapath", { pool: "rbd", datapath: "nfs" }],
  ])("refuses %s", (_what, raw) => {
    expect(refusal(raw as Record<string, string>).params[0]).toBe("Invalid_parameters");
  });

  // What the Ceph tools (and CEPH_ARGS, split on blanks) would read as an option or a second argument.
  it.each([
    ["keyring", "/etc/ceph/x.keyring --plugin_dir=/var/tmp/x"],
    ["keyring", "/etc/ceph/x.keyring\t--plugin_dir=/var/tmp/x"],
    ["keyring", "/etc/ceph/x.keyring\u00a0x"],
    ["keyring", "/etc/ceph/x\u0085.keyring"],
    ["conf", "/etc/ceph/ceph.conf --keyring=/tmp/k"],
    ["conf", "/etc/ceph/my ceph.conf"],
    ["monhost", "10.0.0.1:6789 --plugin_dir=/var/tmp/x"],
    ["monhost", "10.0.0.1:6789 10.0.0.2:6789"],
    ["monhost", "--plugin_dir=/var/tmp/x"],
    ["monhost", "10.0.0.1:6789,--plugin_dir=/var/tmp/x"],
    ["monhost", "10.0.0.1:6789,-x"],
    ["monhost", "10.0.0.1:6789,,10.0.0.2:6789"],
    ["monhost", "10.0.0.1:6789,"],
    ["monhost", ",10.0.0.1:6789"],
    ["monhost", "10.0.0.1:6789\n"],
    ["monhost", "10.0.0.1:6789;10.0.0.2"],
    ["user", "admin --keyring=/tmp/k"],
    ["pool", "--pool=other"],
    ["namespace", "-n"],
  ])("refuses %s %j, naming it", (k, v) => {
    expect(refusal({ pool: "rbd", [k]: v }).params[1]).toContain(k);
  });

  it.each([
    "[v2:1.2.3.4:3300,v1:1.2.3.4:6789]",
    "[v2:1.2.3.4:3300/0,v1:1.2.3.4:6789/0],[v2:1.2.3.5:3300/0,v1:1.2.3.5:6789/0]",
    "1.2.3.4:6789,host2",
    "mon-1.example.org,mon-2.example.org:6789",
    "[::1]:6789,v2:[fe80::1]:3300",
    "1.2.3.4",
  ])("accepts monhost %j", (monhost) => {
    expect(parseDeviceConfig({ pool: "rbd", monhost }).monhost).toBe(monhost);
  });

  it("names the field in the message", () => {
    expect(refusal({ pool: "rbd/x" }).params[1]).toContain("pool");
    expect(refusal({ pool: "rbd", conf: "x" }).params[1]).toContain("conf");
  });
});

describe("image_features", () => {
  it.each([
    ["layering,exclusive-lock", ["layering", "exclusive-lock"]],
    [" layering , exclusive-lock ,", ["layering", "exclusive-lock"]],
    ["layering", ["layering"]],
    ["layering,exclusive-lock,object-map,fast-diff,deep-flatten", ["layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"]],
  ])("accepts %j", (features, list) => {
    expect(parseDeviceConfig({ pool: "rbd", image_features: features }).image_features).toEqual(list);
  });

  it.each([
    ["an unknown feature", "layering,journaling"],
    ["a typo", "layering,exclusive_lock"],
    ["no layering", "exclusive-lock,object-map"],
    ["nothing", ""],
    ["only commas", ",,"],
    ["fast-diff without object-map", "layering,exclusive-lock,fast-diff"],
    ["object-map without exclusive-lock", "layering,object-map"],
    ["fast-diff and object-map without exclusive-lock", "layering,object-map,fast-diff"],
  ])("refuses %s", (_what, features) => {
    expect(refusal({ pool: "rbd", image_features: features }).params[1]).toContain("image_features");
  });
});

describe("formatDeviceConfig", () => {
  it("omits absent optional keys", () => {
    expect(formatDeviceConfig(parseDeviceConfig({ pool: "rbd" }))).toStrictEqual({ pool: "rbd", conf: "/etc/ceph/ceph.conf", user: "admin" });
  });

  it.each([
    [{ pool: "rbd" }],
    [{ pool: "rbd", user: "client.xcp", keyring: "/etc/ceph/k" }],
    [{ pool: "p%?&=", namespace: "sr-1", sr_uuid: "b0c8a3f2-6f2e-4b53-9d5e-6a6f7b1f0c2d", datapath: "rbd+nbd" }],
    [{ pool: "rbd", monhost: "[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]", image_features: "layering, exclusive-lock" }],
  ])("round-trips through parseDeviceConfig: %j", (raw) => {
    const c = parseDeviceConfig(raw);
    const text = formatDeviceConfig(c);
    expect(Object.values(text).every((v) => typeof v === "string" && v.length > 0)).toBe(true);
    expect(parseDeviceConfig(text)).toEqual(c);
    expect(formatDeviceConfig(parseDeviceConfig(text))).toStrictEqual(text);
  });
});
