// The RPMs as a pool admin gets them (scripts/rpm/build.sh, built once for the run by
// test/helpers/rpm-setup.ts): their file lists, modes, links, requirements and scriptlets, read
// from the packages with rpm itself; and the build's refusal of a runtime tarball that is not the
// one named.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { LIB_DIR, ROOT } from "../helpers/run-verb.js";
import { PKG, rpmq, scratchDir, sh, VOLUME, XSS } from "../helpers/rpm.js";

const rpms = inject("rpm");
const skipRpm = rpms.skip;

// The verb tables of this test run's build: the package must carry exactly these.
const built = () => {
  const req = createRequire(import.meta.url);
  const volume = req(join(LIB_DIR, "volume.cjs")) as { verbs: Record<string, unknown> };
  const datapath = req(join(LIB_DIR, "datapath.cjs")) as { verbs: Record<string, Record<string, unknown>> };
  return { volume: Object.keys(volume.verbs), datapath: Object.fromEntries(Object.entries(datapath.verbs).map(([s, t]) => [s, Object.keys(t)])) };
};

describe.skipIf(skipRpm !== undefined)(`RPM build${skipRpm ? ` (skipped: ${skipRpm})` : ""}`, () => {
  const work = scratchDir("rpm-test-");

  it("builds the plugin package and the runtime sub-package", () => {
    expect(rpms.main).toMatch(/xcp-ceph-rbd-0\.\d+\.\d+-1\.x86_64\.rpm$/);
    expect(rpms.runtime).toMatch(/xcp-ceph-rbd-runtime-.*\.x86_64\.rpm$/);
  });

  it("refuses a runtime tarball whose SHA-256 differs, and builds the plugin package alone without one", () => {
    const bad = sh("bash", [
      join(ROOT, "scripts/rpm/build.sh"),
      "--node-tarball",
      rpms.fixture.path,
      "--node-sha256",
      "0".repeat(64),
      "--outdir",
      join(work.path, "bad"),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/refusing it/);
    expect(existsSync(join(work.path, "bad"))).toBe(false);
    const alone = sh("bash", [join(ROOT, "scripts/rpm/build.sh"), "--outdir", join(work.path, "alone")]);
    expect(alone.code).toBe(0);
    expect(alone.stderr).toMatch(/building the plugin package only/);
    expect(alone.stdout.trim().split("\n")).toEqual([expect.stringMatching(/\/xcp-ceph-rbd-0[^/]*\.rpm$/)]);
  }, 120_000);

  it("installs one launcher per implemented verb, the bundles, the admin command and the GC unit", () => {
    const lines = rpmq("-qp", "--qf", "[%{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILENAMES} -> %{FILELINKTOS}\n]", rpms.main).trim().split("\n");
    const entry = (path: string) => lines.find((l) => l.split(" ")[2] === path);
    const { volume, datapath } = built();
    for (const verb of volume) expect(entry(`${PKG}/volume/org.xen.xapi.storage.ceph-rbd/${verb}`)).toMatch(/^-rwxr-xr-x /);
    for (const [scheme, verbs] of Object.entries(datapath)) {
      for (const verb of verbs) expect(entry(`${PKG}/datapath/${scheme}/${verb}`)).toMatch(/^-rwxr-xr-x /);
    }
    // Nothing but the implemented verbs in a plugin directory.
    const inPlugin = lines.map((l) => l.split(" ")[2] ?? "").filter((p) => /^\/usr\/libexec\/xcp-ceph-rbd\/(volume|datapath)\/[^/]+\/[^/]+$/.test(p));
    expect(inPlugin).toHaveLength(volume.length + Object.values(datapath).flat().length);
    for (const b of [
      "volume.cjs",
      "datapath.cjs",
      "admin.cjs",
      "early.cjs",
      "load.cjs",
      "volume-query.cjs",
      "datapath-query.cjs",
      "execa.cjs",
      "yargs.cjs",
      "ceph-session.py",
      "ceph-session-service.py",
      "ceph_rbd_service_clients.py",
      "ceph_rbd_service_conn.py",
      "ceph_rbd_session_connect.py",
      "ceph_rbd_session_diff.py",
      "ceph_rbd_session_ops.py",
      "ceph_rbd_session_rados.py",
      "ceph_rbd_session_rbd.py",
      "ceph_rbd_session_survey.py",
    ])
      expect(entry(`${PKG}/lib/${b}`)).toMatch(/^-rw-r--r-- /);
    // No bytecode of the build machine's Python: %post compiles the host's.
    expect(lines.filter((l) => l.includes("__pycache__"))).toEqual([]);
    expect(entry("/usr/sbin/ceph-rbd-admin")).toMatch(/^lrwxrwxrwx .* -> \.\.\/libexec\/xcp-ceph-rbd\/bin\/ceph-rbd-admin$/);
    expect(entry("/usr/lib/systemd/system/ceph-rbd-gc@.service")).toMatch(/^-rw-r--r-- /);
    expect(entry("/usr/lib/tmpfiles.d/xcp-ceph-rbd.conf")).toMatch(/^-rw-r--r-- /);
    expect(entry("/run/ceph-rbd")).toMatch(/^drwx------ /);
    // Owned by root whatever the build machine's owners were.
    const owners = rpmq("-qp", "--qf", "[%{FILEUSERNAME}:%{FILEGROUPNAME}\n]", rpms.main).trim().split("\n");
    expect(new Set(owners)).toEqual(new Set(["root:root"]));
    // The published plugin directories: links owned as %ghost, made by %posttrans.
    expect(entry(VOLUME)).toBe(`lrwxrwxrwx g ${VOLUME} -> ${PKG}/volume/org.xen.xapi.storage.ceph-rbd`);
    for (const scheme of Object.keys(datapath))
      expect(entry(`${XSS}/datapath/${scheme}`)).toBe(`lrwxrwxrwx g ${XSS}/datapath/${scheme} -> ${PKG}/datapath/${scheme}`);
    // Never the parents, which xapi-storage-script owns and watches.
    expect(entry(`${XSS}/volume`)).toBeUndefined();
    expect(entry(`${XSS}/datapath`)).toBeUndefined();
  });

  it("launchers name the runtime's Node by absolute path and are valid Python too", () => {
    // Read the launchers out of the payload with rpm itself.
    const root = join(work.path, "peek");
    execFileSync("rpm", ["-i", "--root", root, "--nodeps", "--noscripts", "--excludedocs", rpms.main], { stdio: "ignore" });
    const text = readFileSync(join(root, PKG, "volume/org.xen.xapi.storage.ceph-rbd/SR.attach"), "utf8");
    expect(text.split("\n")[0]).toBe(`#!${PKG}/node/bin/node`);
    expect(text).toContain('.main("SR.attach")');
    expect(
      sh("/usr/bin/python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", join(root, PKG, "volume/org.xen.xapi.storage.ceph-rbd/SR.attach")])
        .code,
    ).toBe(0);
    expect(readFileSync(join(root, "usr/libexec/xcp-ceph-rbd/bin/ceph-rbd-admin"), "utf8").split("\n")[0]).toBe(`#!${PKG}/node/bin/node`);
  });

  it("requires ceph-common, the librados and librbd Python bindings, xapi-storage-script and its runtime; payloads readable by XCP-ng 8.3's rpm", () => {
    const req = rpmq("-qp", "--requires", rpms.main)
      .split("\n")
      .map((l) => l.trim());
    expect(req).toEqual(expect.arrayContaining(["ceph-common", "python3-rados", "python3-rbd", "xapi-storage-script", "xcp-ceph-rbd-runtime"]));
    for (const r of [rpms.main, rpms.runtime]) {
      const all = rpmq("-qp", "--requires", r);
      expect(all).toMatch(/rpmlib\(PayloadIsXz\)/);
      expect(all).not.toMatch(/Zstd|rpmlib\(PayloadIsZstd\)/);
    }
  });

  it("ships the runtime as given: same bytes (never stripped), executable, under the package's libexec", () => {
    const lines = rpmq("-qp", "--qf", "[%{FILEMODES:perms} %{FILEDIGESTS} %{FILENAMES}\n]", rpms.runtime).trim().split("\n");
    expect(lines).toContainEqual(`-rwxr-xr-x ${rpms.fixture.nodeSha} ${PKG}/node/bin/node`);
    expect(lines.every((l) => (l.split(" ")[2] ?? "").startsWith(PKG))).toBe(true);
    expect(rpmq("-qp", "--qf", "%{ARCH}", rpms.runtime)).toBe("x86_64");
  });

  it("scriptlets leave running VMs alone: no qemu-storage-daemon stopped, no device unmapped", () => {
    const scripts = rpmq("-qp", "--scripts", rpms.main);
    const code = scripts
      .split("\n")
      .filter((l) => !/^\s*#/.test(l))
      .join("\n");
    expect(code).not.toMatch(/qemu-storage-daemon|rbd device|unmap|rbd-nbd|pkill|killall/);
    // The only kill is of this package's GC workers, recognised by their command line.
    for (const line of code.split("\n").filter((l) => /\bkill\b/.test(l))) expect(line).toMatch(/kill -TERM "\$pid"/);
    expect(code).toMatch(/admin\.cjs gc worker/);
  });
});
