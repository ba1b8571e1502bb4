// ceph-rbd-admin doctor: what it makes of the facts it gathers (configuration, keyring, tools,
// cluster health, kernel RBD, qemu-storage-daemon, plugin directories) and how it reports them.
import { describe, expect, it } from "vitest";
import { FEATURE_BITS } from "../../plugins/ceph/krbd.js";
import { evaluateCluster, evaluateKernel, evaluateQsd, evaluateTools, featureNames } from "../../volume/admin/doctor/host.js";
import { evaluateKeyring, keyringCandidates, keyringEntities, parseCephConf } from "../../volume/admin/doctor/keyring.js";
import { defaultRoot, evaluatePlugin, RPM_LIB, XSS_ROOT, type FileFacts, type PluginSpec } from "../../volume/admin/doctor/plugins.js";
import { formatHuman, report } from "../../volume/admin/doctor/report.js";

const bits = (...names: string[]) => names.reduce((acc, n) => acc | (FEATURE_BITS[n] ?? 0), 0);

describe("ceph.conf and keyring location", () => {
  const conf = parseCephConf(`
# comment
[global]
fsid = 1234
mon host = [v2:127.0.0.1:3300]   # inline comment
Mon-Initial_Members = a

[client]
keyring = /etc/ceph/client-default.keyring
; another comment
[client.xcp]
keyring = /srv/keys/$cluster.$name.keyring, /srv/keys/\${id}.keyring
`);

  it("normalises keys as Ceph does and drops comments", () => {
    expect(conf.get("global")?.get("mon_host")).toBe("[v2:127.0.0.1:3300]");
    expect(conf.get("global")?.get("mon_initial_members")).toBe("a");
    expect(conf.get("client.xcp")?.get("keyring")).toContain("$cluster");
  });

  it("takes the keyring of the most specific section and expands the metavariables", () => {
    expect(keyringCandidates(conf, "xcp")).toEqual(["/srv/keys/ceph.client.xcp.keyring", "/srv/keys/xcp.keyring"]);
    expect(keyringCandidates(conf, "other")).toEqual(["/etc/ceph/client-default.keyring"]);
  });

  it("falls back to Ceph's default search list", () => {
    expect(keyringCandidates(parseCephConf("[global]\nfsid = 1\n"), "admin", "prod")).toEqual([
      "/etc/ceph/prod.client.admin.keyring",
      "/etc/ceph/prod.keyring",
      "/etc/ceph/keyring",
      "/etc/ceph/keyring.bin",
    ]);
  });

  it("reads only section names out of a keyring", () => {
    expect(keyringEntities('[client.xcp]\n\tkey = AQSECRET==\n\tcaps mon = "profile rbd"\n[client.admin]\n\tkey = X\n')).toEqual([
      "client.xcp",
      "client.admin",
    ]);
  });
});

describe("keyring check", () => {
  const ok = { path: "/etc/ceph/ceph.client.xcp.keyring", exists: true, mode: 0o100600, readable: true, entities: ["client.xcp"] };

  it("passes a private keyring holding the user's entry", () => {
    expect(evaluateKeyring(ok, "xcp", [ok.path])).toMatchObject({ status: "OK", detail: expect.stringContaining("mode 0600") });
  });

  it("fails a world-readable keyring, naming the path and the fix", () => {
    const c = evaluateKeyring({ ...ok, mode: 0o100644 }, "xcp", [ok.path]);
    expect(c.status).toBe("FAIL");
    expect(c.detail).toContain(`${ok.path} is world-readable (mode 0644)`);
    expect(c.detail).toContain(`chmod 600 ${ok.path}`);
  });

  it("fails a world-writable one, an unreadable one, a missing one, and none found", () => {
    expect(evaluateKeyring({ ...ok, mode: 0o100602 }, "xcp", []).detail).toMatch(/world-writable/);
    expect(evaluateKeyring({ ...ok, readable: false }, "xcp", []).status).toBe("FAIL");
    expect(evaluateKeyring({ path: "/x", exists: false }, "xcp", ["/x"])).toMatchObject({ status: "FAIL", detail: "/x: no such file" });
    const none = evaluateKeyring(undefined, "xcp", ["/a", "/b"]);
    expect(none.status).toBe("FAIL");
    expect(none.detail).toContain("/a, /b");
  });

  it("warns when the keyring has no entry for the user", () => {
    expect(evaluateKeyring({ ...ok, entities: ["client.admin"] }, "xcp", [])).toMatchObject({
      status: "WARN",
      detail: expect.stringContaining("[client.xcp]"),
    });
  });

  it("never puts the keyring's content in the report", () => {
    const all = [evaluateKeyring(ok, "xcp", []), evaluateKeyring({ ...ok, mode: 0o644 }, "xcp", [])].map((c) => c.detail).join(" ");
    expect(all).not.toMatch(/AQ|key =/);
  });
});

describe("Ceph tools and cluster", () => {
  const v = "ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)";

  it("groups the tools by version", () => {
    expect(evaluateTools({ rbd: v, rados: v, ceph: v })).toEqual({ name: "ceph tools", status: "OK", detail: "rbd, rados, ceph: 16.2.15 pacific (stable)" });
  });

  it("fails when a tool is missing, saying which", () => {
    const c = evaluateTools({ rbd: v, rados: "unavailable (spawn rados ENOENT)", ceph: v });
    expect(c.status).toBe("FAIL");
    expect(c.detail).toMatch(/rados: missing/);
    expect(c.detail).toMatch(/ceph-common/);
  });

  it("maps health: OK, WARN with the reasons, ERR and unreachable fail", () => {
    expect(evaluateCluster({ status: "HEALTH_OK", checks: {}, ms: 40 }).status).toBe("OK");
    const warn = evaluateCluster({ status: "HEALTH_WARN", checks: { OSD_DOWN: { severity: "HEALTH_WARN", summary: { message: "1 osds down" } } }, ms: 40 });
    expect(warn).toMatchObject({ status: "WARN", detail: expect.stringContaining("OSD_DOWN: 1 osds down") });
    expect(evaluateCluster({ status: "HEALTH_ERR", ms: 40 }).status).toBe("FAIL");
    expect(evaluateCluster({ error: "timed out", ms: 15000 })).toMatchObject({ status: "FAIL", detail: "not reachable (15000 ms): timed out" });
  });
});

describe("datapaths", () => {
  it("without /sys/bus/rbd: WARN, use rbd+nbd", () => {
    const c = evaluateKernel(undefined, false);
    expect(c.status).toBe("WARN");
    expect(c.detail).toMatch(/use rbd\+nbd/);
    expect(evaluateKernel(undefined, true).detail).toMatch(/modprobe rbd/);
  });

  it("a kernel without object-map (XCP-ng 8.3's 4.19) is usable: the datapath disables what it lacks", () => {
    const c = evaluateKernel(bits("layering", "striping", "exclusive-lock", "data-pool", "operations"), true);
    expect(c.status).toBe("OK");
    expect(c.detail).toMatch(/disables fast-diff,object-map,deep-flatten/);
  });

  it("a kernel with every default feature is plainly OK; one without exclusive-lock is not enough", () => {
    expect(evaluateKernel(bits("layering", "exclusive-lock", "object-map", "fast-diff", "deep-flatten"), true)).toMatchObject({ status: "OK" });
    expect(evaluateKernel(bits("layering"), true)).toMatchObject({ status: "WARN", detail: expect.stringContaining("exclusive-lock") });
  });

  it("names feature bits", () => {
    expect(featureNames(bits("layering", "deep-flatten"))).toEqual(["layering", "deep-flatten"]);
  });

  it("qemu-storage-daemon missing is a WARN beside kernel RBD, a FAIL without it", () => {
    const krbd = evaluateKernel(bits("layering", "exclusive-lock"), true);
    const none = evaluateKernel(undefined, false);
    expect(evaluateQsd("qemu-storage-daemon version 7.2.22", none).status).toBe("OK");
    expect(evaluateQsd("unavailable (ENOENT)", krbd).status).toBe("WARN");
    expect(evaluateQsd("unavailable (ENOENT)", none)).toMatchObject({ status: "FAIL", detail: expect.stringContaining("no datapath") });
  });
});

describe("plugin tree", () => {
  const spec: PluginSpec = { dir: "datapath/rbd", plugin: "rbd", verbs: ["Plugin.Query", "Datapath.attach"] };
  const exe: FileFacts = { kind: "file", executable: true };
  const dir: FileFacts = { kind: "dir", executable: false };
  const files = (extra: Record<string, FileFacts> = {}) => new Map(Object.entries({ "Plugin.Query": exe, "Datapath.attach": exe, ...extra }));
  const answer = { code: 0, stdout: '{"plugin":"rbd","required_api_version":"5.0"}\n', ms: 80 };

  it("passes a complete directory whose Plugin.Query answers with its name", () => {
    expect(evaluatePlugin(spec, dir, files(), answer)).toEqual({
      name: "datapath rbd",
      status: "OK",
      detail: "2 verbs, all executable; Plugin.Query answers in 80 ms",
    });
  });

  it("fails a missing directory, a missing or non-executable verb, a wrong answer", () => {
    expect(evaluatePlugin(spec, { kind: "missing", executable: false }, new Map(), undefined).status).toBe("FAIL");
    expect(evaluatePlugin(spec, dir, new Map([["Plugin.Query", exe]]), answer).detail).toMatch(/missing: Datapath.attach/);
    expect(evaluatePlugin(spec, dir, files({ "Datapath.attach": { kind: "file", executable: false } }), answer).detail).toMatch(
      /not executable: Datapath.attach/,
    );
    expect(evaluatePlugin(spec, dir, files(), { code: 1, stdout: '{"code":"X"}', ms: 5 }).detail).toMatch(/Plugin.Query exited 1/);
    expect(evaluatePlugin(spec, dir, files(), { code: 0, stdout: '{"plugin":"other"}', ms: 5 }).status).toBe("FAIL");
    expect(evaluatePlugin(spec, dir, files(), { code: null, stdout: "", ms: 5, error: "spawn EACCES" }).detail).toMatch(/failed to start: spawn EACCES/);
  });

  it("warns about files that are not verbs (xapi would advertise them)", () => {
    expect(evaluatePlugin(spec, dir, files({ "Datapath.open": exe }), answer)).toMatchObject({
      status: "WARN",
      detail: expect.stringContaining("Datapath.open"),
    });
  });

  it("checks xapi-storage-script's root when run from the RPM, the checkout's plugins/ otherwise", () => {
    expect(defaultRoot(RPM_LIB)).toBe(XSS_ROOT);
    expect(defaultRoot("/work/main/plugins/lib")).toBe("/work/main/plugins");
  });
});

describe("report", () => {
  it("is not ok with any FAIL, and prints one aligned line per check and a summary", () => {
    const r = report([
      { name: "ceph tools", status: "OK", detail: "fine" },
      { name: "keyring", status: "FAIL", detail: "/k is world-readable" },
      { name: "kernel rbd", status: "WARN", detail: "use rbd+nbd" },
    ]);
    expect(r.ok).toBe(false);
    const text = formatHuman(r);
    expect(text).toMatch(/^OK {4}ceph tools {2}fine$/m);
    expect(text).toMatch(/^FAIL {2}keyring {5}\/k is world-readable$/m);
    expect(text.split("\n").at(-1)).toBe("1 FAIL, 1 WARN, 1 OK");
    expect(report([{ name: "a", status: "WARN", detail: "" }]).ok).toBe(true);
  });
});
