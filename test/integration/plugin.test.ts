// Plugin.* verbs and the install tree, exactly as xapi-storage-script sees them.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { call, DATAPATH_DIR, fail, runAdmin, runExecutable, VOLUME_DIR } from "../helpers/run-verb.js";

describe("install tree", () => {
  it("has one executable per implemented volume verb and nothing else", () => {
    const files = readdirSync(VOLUME_DIR).sort();
    expect(files).toEqual(
      [
        "Plugin.Query",
        "Plugin.diagnostics",
        "SR.attach",
        "SR.create",
        "SR.destroy",
        "SR.detach",
        "SR.ls",
        "SR.probe",
        "SR.set_description",
        "SR.set_name",
        "SR.stat",
        "Volume.clone",
        "Volume.create",
        "Volume.data_destroy",
        "Volume.destroy",
        "Volume.disable_cbt",
        "Volume.enable_cbt",
        "Volume.list_changed_blocks",
        "Volume.resize",
        "Volume.set",
        "Volume.set_description",
        "Volume.set_name",
        "Volume.revert",
        "Volume.snapshot",
        "Volume.stat",
        "Volume.unset",
      ].sort(),
    );
    for (const f of files) expect(statSync(join(VOLUME_DIR, f)).mode & 0o111).toBe(0o111);
  });

  it("has the two datapath plugins, named by URI scheme", () => {
    for (const scheme of ["rbd", "rbd+nbd"]) expect(readdirSync(DATAPATH_DIR(scheme))).toContain("Plugin.Query");
  });
});

describe("Plugin.Query", () => {
  it("describes the ceph-rbd SR type for API 5.0 and documents every device-config key", async () => {
    const q = await call<Record<string, unknown>>("Plugin.Query", {});
    expect(q.plugin).toBe("ceph-rbd");
    expect(q.required_api_version).toBe("5.0");
    expect(q.required_cluster_stack).toEqual([]);
    expect(Object.keys(q.configuration as object)).toEqual(expect.arrayContaining(["pool", "conf", "user", "keyring", "monhost", "image_features"]));
    expect(q.features).toEqual(expect.arrayContaining(["THIN_PROVISIONING", "LARGE_VDI"]));
  });

  it("answers under its lower-case IDL name too, as xapi-storage-script may call it", async () => {
    const r = await runExecutable(join(VOLUME_DIR, "Plugin.Query"), '{"dbg":"x"}');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().startsWith("{")).toBe(true);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  it.each(["rbd", "rbd+nbd"])("datapath %s answers its own Plugin.Query", async (scheme) => {
    const r = await runExecutable(join(DATAPATH_DIR(scheme), "Plugin.Query"), '{"dbg":"register"}');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ plugin: scheme, required_api_version: "5.0" });
  });
});

describe("Plugin.diagnostics", () => {
  it("returns one string naming the plugin and the Ceph tools", async () => {
    const d = await call<string>("Plugin.diagnostics", {});
    expect(typeof d).toBe("string");
    expect(d).toMatch(/ceph-rbd volume plugin/);
    expect(d).toMatch(/rbd: ceph version/);
  });
});

describe("wire discipline", () => {
  it("prints nothing but the error object when stdin is not JSON", async () => {
    const r = await runExecutable(join(VOLUME_DIR, "SR.stat"), "{not json");
    expect(r.code).not.toBe(0);
    expect(Object.keys(r.json as object).sort()).toEqual(["backtrace", "code", "params"]);
    expect((r.json as { params: string[] }).params[0]).toBe("Invalid_parameters");
  });

  it("validates params before doing any work", async () => {
    const e = await fail("Volume.create", {
      dbg: "x",
      sr: "ceph-rbd://rbd/x?conf=%2Fnone&user=admin",
      name: "a",
      description: "",
      size: "10",
      sharable: false,
    });
    expect(e.params).toEqual(["Invalid_parameters", expect.stringContaining("size")]);
  });

  it("human mode prints help and readable results, never JSON on its own", async () => {
    const help = await runExecutable(join(VOLUME_DIR, "Volume.create"), "", ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--size/);
    expect(help.stdout).toMatch(/--sharable/);
    const q = await runExecutable(join(VOLUME_DIR, "Plugin.Query"), "", []);
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/^plugin: ceph-rbd$/m);
  });
});

describe("ceph-rbd-admin's failures", () => {
  it("a usage error shows the usage, then one line; a command's own failure one line, no usage, no stack", async () => {
    const usage = await runAdmin(["gc", "stauts"]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/Commands:/);
    expect(usage.stderr.trim().split("\n").at(-1)).toBe("ceph-rbd-admin: Unknown argument: stauts");
    // A pool that does not exist: the command starts, then fails against the cluster.
    const r = await runAdmin(["gc", "status", "--pool", "no-such-pool", "--sr-uuid", "0238f102-36ea-49a5-a190-0f1fccea7d9a", "--conf", inject("ceph").conf], {
      CEPH_RBD_LOG_STDERR: "off",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ceph-rbd-admin: .*no-such-pool.*\n$/);
  });
});
