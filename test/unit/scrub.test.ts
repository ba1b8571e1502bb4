// scrub: what runCeph logs of a command line never shows a secret.
import { describe, expect, it } from "vitest";
import { scrub } from "../../plugins/ceph/exec.js";

describe("scrub", () => {
  it.each([
    [
      ["auth", "import", "--key", "AQBxyz=="],
      ["auth", "import", "--key", "***"],
    ],
    [
      ["--key=AQBxyz==", "info"],
      ["--key=***", "info"],
    ],
    [
      ["--keyfile", "/root/secret.key", "ls"],
      ["--keyfile", "***", "ls"],
    ],
    [["--keyfile=/root/secret.key"], ["--keyfile=***"]],
    [
      ["--secret", "s3cr3t", "--password=hunter2"],
      ["--secret", "***", "--password=***"],
    ],
    [["--key=a=b=c"], ["--key=***"]],
    [
      ["map", "rbd/img", "-o", "name=admin,secret=AQBxyz==,noshare"],
      ["map", "rbd/img", "-o", "name=admin,secret=***,noshare"],
    ],
    [["rbd://p/n/i?conf=/c&user=u&key=abc&snap=s"], ["rbd://p/n/i?conf=/c&user=u&key=***&snap=s"]],
    [["mon_host=1.2.3.4,Secret=xyz key=abc"], ["mon_host=1.2.3.4,Secret=*** key=***"]],
  ])("masks %j", (args, shown) => {
    expect(scrub(args)).toEqual(shown);
  });

  it("keeps a trailing --key with no value as it is", () => {
    expect(scrub(["info", "--key"])).toEqual(["info", "--key"]);
  });

  it.each([
    [["create", "--size", "4096", "--image-feature", "layering", "rbd/ns/vol-1"]],
    [["--conf", "/etc/ceph/ceph.conf", "--id", "admin", "--keyring", "/etc/ceph/ceph.client.admin.keyring"]],
    [["setomapval", "ceph_rbd_sr", "key:6e1c1d7c-0e8b-4a8f-9a44-3b1f0a2c9d11:vdi-type", "user"]],
    [["--mon-host", "[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]", "keyring=/etc/ceph/k"]],
    [[]],
  ])("leaves ordinary arguments untouched: %j", (args) => {
    expect(scrub(args)).toEqual(args);
  });

  it("does not modify its input", () => {
    const args = ["--key", "AQB=="];
    scrub(args);
    expect(args).toEqual(["--key", "AQB=="]);
  });
});
