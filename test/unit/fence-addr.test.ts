// What may reach `ceph osd blocklist add` or an activation record as a client address, and what
// a device-config value becomes in qemu-storage-daemon's private Ceph configuration.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isEntityAddr } from "../../plugins/wire/entity-addr.js";
import { privateConf } from "../../plugins/ceph/qsd.js";

describe("client addresses", () => {
  it.each(["127.0.0.1:0/123456", "v1:10.1.2.3:0/4040627619", "v2:10.1.2.3:3300/1", "any:10.1.2.3:0/0", "[2001:db8::1]:0/42", "v2:[::1]:6789/7"])(
    "takes %s",
    (a) => {
      expect(isEntityAddr(a)).toBe(true);
    },
  );

  it.each([
    "",
    "127.0.0.1",
    "127.0.0.1:0",
    "127.0.0.1/32",
    "10.0.0.0/8:0/1",
    "256.0.0.1:0/1",
    "127.0.0.1:65536/1",
    "127.0.0.1:0/4294967296",
    "2001:db8::1:0/42",
    "[2001:db8::g]:0/42",
    "127.0.0.1:0/1 --yes-i-really-mean-it",
    "-127.0.0.1:0/1",
    "v3:127.0.0.1:0/1",
    "range 10.0.0.0/8",
  ])("refuses %j", (a) => {
    expect(isEntityAddr(a)).toBe(false);
  });
});

describe("qemu-storage-daemon's private Ceph configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "qsd-conf-"));
  const conf = join(dir, "ceph.conf");
  writeFileSync(conf, "[global]\nmon host = 10.0.0.1\n[client.xcp]\nkeyring = /etc/ceph/old.keyring\n");
  const place = (keyring?: string, monHost?: string, user = "xcp") => ({ cluster: { conf, user, keyring, monHost }, pool: "rbd", namespace: "ns" });

  it("is the SR's ceph.conf, then the device-config's keyring and monitors as the client's last values, each one value", () => {
    const text = privateConf(place("/etc/ceph/x.keyring --plugin_dir=/var/tmp/x", "[v2:10.0.0.2:3300,v1:10.0.0.2:6789],10.0.0.3"));
    expect(text.startsWith("[global]\nmon host = 10.0.0.1\n[client.xcp]\nkeyring = /etc/ceph/old.keyring\n")).toBe(true);
    expect(text.split("\n").slice(-4)).toEqual([
      "[client.xcp]",
      "keyring = /etc/ceph/x.keyring --plugin_dir=/var/tmp/x",
      "mon host = [v2:10.0.0.2:3300,v1:10.0.0.2:6789],10.0.0.3",
      "",
    ]);
    expect(text.split("\n").filter((l) => l.includes("plugin_dir"))).toHaveLength(1);
  });

  it("is the SR's ceph.conf alone without a keyring or monitors", () => {
    expect(privateConf(place())).toBe("[global]\nmon host = 10.0.0.1\n[client.xcp]\nkeyring = /etc/ceph/old.keyring\n");
  });

  it.each([
    ["a new line", "/k\nplugin_dir = /var/tmp/x"],
    ["a carriage return", "/k\rplugin_dir = /var/tmp/x"],
    ["a comment", "/k # x"],
    ["a semicolon", "/k;/j"],
    ["a quote", '"/k"'],
    ["a backslash", "/k\\"],
  ])("refuses a keyring with %s", (_what, keyring) => {
    expect(() => privateConf(place(keyring))).toThrow(/cannot go into a Ceph configuration file/);
  });

  it("refuses a user that cannot name a section, and an unreadable ceph.conf", () => {
    expect(() => privateConf(place("/k", undefined, "xcp]\nplugin_dir = /x\n[client.xcp"))).toThrow(/not a Ceph client id/);
    expect(() => privateConf({ ...place("/k"), cluster: { conf: join(dir, "missing.conf"), user: "xcp", keyring: "/k" } })).toThrow(/cannot read/);
  });
});
