// The RPMs as a pool admin gets them (scripts/rpm/build.sh): their file lists, modes, links,
// requirements and scriptlets; then installed into a scratch root and run from there, the way
// xapi-storage-script runs them, directly and in SMAPI tracing mode (python3 runs the verb file
// as Python source), against the suite's cluster; the publication of the plugin directories by
// %posttrans and their removal by %preun; and `ceph-rbd-admin doctor` on a healthy and a broken
// setup.
//
// The runtime sub-package is built from a TEST FIXTURE standing in for the glibc-2.17 Node
// tarball (which cannot be fetched here): a tarball laid out like a Node release whose bin/node
// is a shell script running this machine's node. It proves the mechanics (checksum, layout,
// no stripping, the launchers finding the runtime by its absolute path), not the runtime.
//
// The scratch root is seen at the real paths in a private mount namespace (unshare -m): the
// root's usr/libexec and usr/sbin are overlaid on the host's, so the launchers' absolute
// shebangs (/usr/libexec/xcp-ceph-rbd/node/bin/node) resolve as on a host; /run/ceph-rbd is an
// empty tmpfs there and `systemctl` a recording stub, so the scriptlets touch nothing of this
// machine (nor the GC workers of other test files).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LIB_DIR, ROOT } from "../helpers/run-verb.js";

const PKG = "/usr/libexec/xcp-ceph-rbd";
const XSS = "/usr/libexec/xapi-storage-script";
const VOLUME = `${XSS}/volume/org.xen.xapi.storage.ceph-rbd`;

// rpmbuild comes from Debian's rpm package; build.sh installs it when missing, if it can.
function whyNoRpmbuild(): string | undefined {
  const has = () => spawnSync("sh", ["-c", "command -v rpmbuild"]).status === 0;
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return "rpmbuild is missing and installing Debian's rpm package needs root";
  const r = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm"], {
    encoding: "utf8",
  });
  return has() ? undefined : `rpmbuild could not be installed (apt-get: ${(r.stderr || r.stdout).trim().slice(-300)})`;
}
const whyNoNamespace = (): string | undefined =>
  spawnSync("unshare", ["-m", "true"]).status === 0
    ? undefined
    : "no private mount namespaces here (unshare -m): the installed tree cannot be run at its real paths";

const skipRpm = whyNoRpmbuild();
const skipRun = skipRpm ?? whyNoNamespace();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work = "";
let rpms: { main: string; runtime: string } = { main: "", runtime: "" };
const fixture = { path: "", sha: "", nodeSha: "" };
let rootDir = "";

const sh = (cmd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Run => {
  const r = spawnSync(cmd, args, { input: opts.input ?? "", encoding: "utf8", env: { ...process.env, ...opts.env }, cwd: "/" });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
};
// Whether a path exists as such (a link counts, even one whose target is only in the namespace).
const present = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};
const rpmq = (...args: string[]) => execFileSync("rpm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

// Runs argv inside the private namespace where the scratch root is installed at the real paths.
function inRoot(argv: string[], input = "", env: Record<string, string> = {}): Run {
  const setup = [
    "set -e",
    `mkdir -p "$R/.work/libexec" "$R/.work/sbin"`,
    `mount -t overlay overlay -o "lowerdir=/usr/libexec,upperdir=$R/usr/libexec,workdir=$R/.work/libexec" /usr/libexec`,
    `mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$R/usr/sbin,workdir=$R/.work/sbin" /usr/sbin`,
    // As tmpfiles.d makes it at boot: root's alone.
    `mkdir -p /run/ceph-rbd && mount -t tmpfs -o mode=0700 tmpfs /run/ceph-rbd`,
    'exec "$@"',
  ].join("\n");
  return sh("unshare", ["-m", "bash", "-c", setup, "in-root", ...argv], {
    input,
    env: { R: rootDir, PATH: `${work}/stubs:${process.env.PATH}`, CEPH_RBD_LOG_SYSLOG: "off", CEPH_RBD_LOG_STDERR: "warning", CEPH_RBD_GC: "off", ...env },
  });
}
const scriptlet = (tag: string) => rpmq("-qp", "--qf", `%{${tag}}`, rpms.main);
const runScriptlet = (tag: string, arg: string) => inRoot(["sh", "-c", scriptlet(tag), tag, arg]);

const tracing = (file: string): string[] => [
  "/usr/bin/python3",
  "-c",
  `import runpy,sys; sys.argv=[${JSON.stringify(file)},'--json']; runpy.run_path(${JSON.stringify(file)}, run_name='__main__')`,
];

// The verb tables of this test run's build: the package must carry exactly these.
const built = () => {
  const req = createRequire(import.meta.url);
  const volume = req(join(LIB_DIR, "volume.cjs")) as { verbs: Record<string, unknown> };
  const datapath = req(join(LIB_DIR, "datapath.cjs")) as { verbs: Record<string, Record<string, unknown>> };
  return { volume: Object.keys(volume.verbs), datapath: Object.fromEntries(Object.entries(datapath.verbs).map(([s, t]) => [s, Object.keys(t)])) };
};

describe.skipIf(skipRpm !== undefined)(`RPM build${skipRpm ? ` (skipped: ${skipRpm})` : ""}`, () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "rpm-test-"));
    // TEST FIXTURE standing in for node-vX-linux-x64-glibc-217.tar.xz.
    const top = `node-v${process.versions.node}-linux-x64-test-fixture`;
    mkdirSync(join(work, "fixture", top, "bin"), { recursive: true });
    writeFileSync(
      join(work, "fixture", top, "bin/node"),
      `#!/bin/sh\n# TEST FIXTURE, not a Node runtime: runs the build machine's node.\nexec ${process.execPath} "$@"\n`,
    );
    chmodSync(join(work, "fixture", top, "bin/node"), 0o755);
    writeFileSync(join(work, "fixture", top, "LICENSE"), "Test fixture for scripts/rpm/build.sh; not Node.js.\n");
    fixture.path = join(work, `${top}.tar.xz`);
    execFileSync("tar", ["-C", join(work, "fixture"), "-cJf", fixture.path, top]);
    fixture.sha = createHash("sha256").update(readFileSync(fixture.path)).digest("hex");
    fixture.nodeSha = createHash("sha256")
      .update(readFileSync(join(work, "fixture", top, "bin/node")))
      .digest("hex");

    const out = execFileSync(
      "bash",
      [join(ROOT, "scripts/rpm/build.sh"), "--node-tarball", fixture.path, "--node-sha256", fixture.sha, "--outdir", join(work, "rpms")],
      { encoding: "utf8", cwd: ROOT },
    );
    const files = out.trim().split("\n");
    rpms = { main: files.find((f) => /\/xcp-ceph-rbd-\d[^/]*\.rpm$/.test(f)) ?? "", runtime: files.find((f) => /xcp-ceph-rbd-runtime-/.test(f)) ?? "" };
    // A stub systemctl for the scriptlets, recording its calls.
    mkdirSync(join(work, "stubs"));
    writeFileSync(join(work, "stubs/systemctl"), `#!/bin/sh\necho "$*" >> ${work}/systemctl.log\n`);
    chmodSync(join(work, "stubs/systemctl"), 0o755);
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("builds the plugin package and the runtime sub-package", () => {
    expect(rpms.main).toMatch(/xcp-ceph-rbd-0\.\d+\.\d+-1\.x86_64\.rpm$/);
    expect(rpms.runtime).toMatch(/xcp-ceph-rbd-runtime-.*\.x86_64\.rpm$/);
  });

  it("refuses a runtime tarball whose SHA-256 differs, and builds the plugin package alone without one", () => {
    const bad = sh("bash", [
      join(ROOT, "scripts/rpm/build.sh"),
      "--node-tarball",
      fixture.path,
      "--node-sha256",
      "0".repeat(64),
      "--outdir",
      join(work, "bad"),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/refusing it/);
    expect(existsSync(join(work, "bad"))).toBe(false);
    const alone = sh("bash", [join(ROOT, "scripts/rpm/build.sh"), "--outdir", join(work, "alone")]);
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
      "ceph-session.py",
      "ceph_rbd_session_connect.py",
      "ceph_rbd_session_rados.py",
      "ceph_rbd_session_rbd.py",
    ])
      expect(entry(`${PKG}/lib/${b}`)).toMatch(/^-rw-r--r-- /);
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
    const root = join(work, "peek");
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
    expect(lines).toContainEqual(`-rwxr-xr-x ${fixture.nodeSha} ${PKG}/node/bin/node`);
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

  describe.skipIf(skipRun !== undefined)(`installed in a scratch root${skipRun && !skipRpm ? ` (skipped: ${skipRun})` : ""}`, () => {
    beforeAll(() => {
      rootDir = join(work, "root");
      execFileSync("rpm", ["-i", "--root", rootDir, "--nodeps", "--noscripts", rpms.main, rpms.runtime], { stdio: "ignore" });
      // What the xapi-storage-script package provides on a host; plus, for %posttrans to clean
      // up, a link an earlier version could have left and a foreign plugin it must not touch.
      mkdirSync(join(rootDir, XSS, "volume"), { recursive: true });
      mkdirSync(join(rootDir, XSS, "datapath/tapdisk"), { recursive: true });
      execFileSync("ln", ["-s", `${PKG}/datapath/rbd+gone`, join(rootDir, XSS, "datapath/rbd+gone")]);
    });

    it("%posttrans publishes each plugin directory as one link, idempotently, and cleans up stale links", () => {
      for (let i = 0; i < 2; i++) {
        const r = runScriptlet("POSTTRANS", "");
        expect(r.code, r.stderr).toBe(0);
      }
      expect(readlinkSync(join(rootDir, VOLUME))).toBe(`${PKG}/volume/org.xen.xapi.storage.ceph-rbd`);
      expect(readlinkSync(join(rootDir, XSS, "datapath/rbd"))).toBe(`${PKG}/datapath/rbd`);
      expect(readlinkSync(join(rootDir, XSS, "datapath/rbd+nbd"))).toBe(`${PKG}/datapath/rbd+nbd`);
      expect(present(join(rootDir, XSS, "datapath/rbd+gone"))).toBe(false);
      expect(existsSync(join(rootDir, XSS, "datapath/tapdisk"))).toBe(true);
      // Made aside and renamed: no temporary name is left in the watched directories.
      expect(
        sh("ls", ["-A", join(rootDir, XSS, "datapath")])
          .stdout.split("\n")
          .filter(Boolean)
          .sort(),
      ).toEqual(["rbd", "rbd+nbd", "tapdisk"]);
    });

    it("the run directory is made root's alone at boot, and the GC unit is sandboxed and valid", () => {
      const tmpfiles = readFileSync(join(rootDir, "usr/lib/tmpfiles.d/xcp-ceph-rbd.conf"), "utf8");
      expect(tmpfiles.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["d /run/ceph-rbd 0700 root root -"]);
      const unit = join(rootDir, "usr/lib/systemd/system/ceph-rbd-gc@.service");
      const text = readFileSync(unit, "utf8");
      for (const d of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ReadOnlyDirectories=/", "PrivateTmp=yes", "ProtectHome=yes"])
        expect(text).toContain(`\n${d}\n`);
      expect(text).toMatch(/\nReadWriteDirectories=\/run\/ceph-rbd( |\n)/);
      // systemd's own reading of the unit, against the installed tree (its ExecStart included).
      const v = sh("systemd-analyze", ["verify", `--root=${rootDir}`, "/usr/lib/systemd/system/ceph-rbd-gc@x.service"]);
      expect(v.stderr).not.toMatch(/Unknown (key|section)|Failed to parse|not executable/);
    });

    it("each published plugin answers Plugin.Query as xapi-storage-script runs it", () => {
      const q = inRoot([`${VOLUME}/Plugin.Query`, "--json"], '{"dbg":"x"}');
      expect(q.code, q.stderr).toBe(0);
      expect(JSON.parse(q.stdout)).toMatchObject({ plugin: "ceph-rbd", required_api_version: "5.0" });
      for (const scheme of ["rbd", "rbd+nbd"]) {
        const d = inRoot([`${XSS}/datapath/${scheme}/Plugin.Query`, "--json"], '{"dbg":"register"}');
        expect(d.code, d.stderr).toBe(0);
        expect(JSON.parse(d.stdout)).toMatchObject({ plugin: scheme });
      }
    });

    it("in tracing mode (the verb file run as Python) a verb behaves exactly as run directly", () => {
      const direct = inRoot([`${VOLUME}/Plugin.Query`, "--json"], '{"dbg":"x"}');
      const traced = inRoot(tracing(`${VOLUME}/Plugin.Query`), '{"dbg":"x"}');
      expect(traced.code, traced.stderr).toBe(0);
      expect(traced.stdout).toBe(direct.stdout);
      // A failure: same exit code, same error object.
      const bad = inRoot([`${VOLUME}/SR.stat`, "--json"], "{not json");
      const badTraced = inRoot(tracing(`${VOLUME}/SR.stat`), "{not json");
      expect(bad.code).toBe(1);
      expect(badTraced.code).toBe(1);
      expect(JSON.parse(badTraced.stdout)).toEqual(JSON.parse(bad.stdout));
    });

    it("drives an SR on the test cluster through the installed verbs, some in tracing mode", () => {
      const { conf, pool } = inject("ceph");
      const verb = (name: string, params: Record<string, unknown>, traced = false) => {
        const file = `${VOLUME}/${name}`;
        const r = inRoot(traced ? tracing(file) : [file, "--json"], JSON.stringify({ dbg: `rpm-${name}`, ...params }));
        if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stdout}\n${r.stderr.slice(-1500)}`);
        return JSON.parse(r.stdout) as unknown;
      };
      const uuid = randomUUID();
      const config = verb("SR.create", { uuid, configuration: { pool, conf }, name: "rpm", description: "installed from the RPM" }) as Record<string, string>;
      const sr = verb("SR.attach", { configuration: config }, true) as string;
      const vol = verb("Volume.create", { sr, name: "d0", description: "", size: 8 * 1024 * 1024, sharable: false }) as { key: string };
      const ls = verb("SR.ls", { sr }, true) as Array<{ key: string; name: string }>;
      expect(ls).toEqual([expect.objectContaining({ key: vol.key, name: "d0" })]);
      expect(verb("Volume.destroy", { sr, key: vol.key }, true)).toBeNull();
      expect(verb("SR.detach", { sr })).toBeNull();
      expect(verb("SR.destroy", { sr: verb("SR.attach", { configuration: config }) as string })).toBeNull();
    });

    it("ceph-rbd-admin doctor passes on a healthy host and fails on a world-readable keyring or a dead cluster", () => {
      const { conf, pool, keyring } = inject("ceph");
      const doctor = (...args: string[]) => inRoot(["/usr/sbin/ceph-rbd-admin", "doctor", "--json", "--conf", conf, "--root", XSS, ...args]);
      const statusOf = (r: Run, name: string) =>
        (JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find((c) => c.name === name);
      const healthy = doctor("--pool", pool);
      expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
      for (const name of ["ceph tools", "configuration", "keyring", "pool", "plugin tree", "volume ceph-rbd", "datapath rbd", "datapath rbd+nbd"]) {
        expect(statusOf(healthy, name), name).toMatchObject({ status: "OK" });
      }
      // Other test files share the cluster and may make it HEALTH_WARN for a while (a stopped OSD).
      expect(statusOf(healthy, "cluster")).toMatchObject({ status: expect.stringMatching(/^(OK|WARN)$/), detail: expect.stringMatching(/^reachable/) });
      if (keyring) {
        const open = join(work, "open.keyring");
        copyFileSync(keyring, open);
        chmodSync(open, 0o644);
        const r = doctor("--keyring", open);
        expect(r.code).toBe(1);
        expect(statusOf(r, "keyring")).toMatchObject({ status: "FAIL", detail: expect.stringContaining(`${open} is world-readable`) });
      }
      const missing = doctor("--keyring", join(work, "no.keyring"), "--timeout", "3");
      expect(missing.code).toBe(1);
      expect(statusOf(missing, "keyring")).toMatchObject({ status: "FAIL" });
      const dead = doctor("--monhost", "127.0.0.1:9", "--timeout", "2");
      expect(dead.code).toBe(1);
      expect(statusOf(dead, "cluster")).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/^not reachable/) });
    });

    it("%preun keeps everything on upgrade; on removal it unpublishes the plugins first and stops only the GC", () => {
      rmSync(join(work, "systemctl.log"), { force: true });
      expect(runScriptlet("PREUN", "1").code).toBe(0);
      expect(present(join(rootDir, VOLUME))).toBe(true);
      expect(runScriptlet("POSTUN", "1").code).toBe(0);
      expect(readFileSync(join(work, "systemctl.log"), "utf8")).toMatch(/try-restart ceph-rbd-gc@\*\.service/);

      rmSync(join(work, "systemctl.log"), { force: true });
      expect(runScriptlet("PREUN", "0").code).toBe(0);
      expect(present(join(rootDir, VOLUME))).toBe(false);
      expect(present(join(rootDir, XSS, "datapath/rbd"))).toBe(false);
      expect(existsSync(join(rootDir, XSS, "datapath/tapdisk"))).toBe(true);
      expect(readFileSync(join(work, "systemctl.log"), "utf8").trim().split("\n")).toEqual(["stop ceph-rbd-gc@*.service"]);
    });

    it("%preun on removal stops the GC worker its pid file names, and not a process that took a pid file's pid", () => {
      // Two stand-ins whose command lines say 'admin.cjs gc worker': one recorded with its own start
      // time (the worker), one with another (a pid reused since its file was written).
      const script = [
        "set -e",
        `${process.execPath} -e 'setTimeout(()=>{},60000)' admin.cjs gc worker & worker=$!`,
        `${process.execPath} -e 'setTimeout(()=>{},60000)' admin.cjs gc worker & stranger=$!`,
        "sleep 0.5",
        "start() { sed 's/.*) //' /proc/$1/stat | cut -d' ' -f20; }",
        'printf "%s\\n%s\\n[]\\n" $worker $(start $worker) > /run/ceph-rbd/gc-a.pid',
        'printf "%s\\n%s\\n[]\\n" $stranger $(( $(start $stranger) - 1 )) > /run/ceph-rbd/gc-b.pid',
        'sh -c "$PREUN" preun 0',
        "sleep 0.5",
        'kill -0 $worker 2>/dev/null && echo "worker alive" || echo "worker stopped"',
        'kill -0 $stranger 2>/dev/null && echo "stranger alive" || echo "stranger stopped"',
        "kill $stranger 2>/dev/null || true",
        "ls -A /run/ceph-rbd",
      ].join("\n");
      const r = inRoot(["bash", "-c", script], "", { PREUN: scriptlet("PREUN") });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n")).toEqual(["worker stopped", "stranger alive"]);
    });
  });
});
