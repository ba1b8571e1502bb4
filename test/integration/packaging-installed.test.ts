// The RPMs (built once for the run by test/helpers/rpm-setup.ts) installed into a scratch root
// and run from there (test/helpers/rpm-root.ts), the way xapi-storage-script runs them, directly
// and in SMAPI tracing mode (python3 runs the verb file as Python source), against the suite's
// cluster; the publication of the plugin directories by %posttrans and their removal by %preun;
// and `ceph-rbd-admin doctor` on a healthy and a broken setup.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { PKG, scratchDir, sh, VOLUME, XSS, type Run } from "../helpers/rpm.js";
import { present, scratchRoot, tracing, whyNoNamespace } from "../helpers/rpm-root.js";

const rpms = inject("rpm");
const skipRpm = rpms.skip;
const skipRun = skipRpm ?? whyNoNamespace();

describe.skipIf(skipRpm !== undefined)(`RPM build${skipRpm ? ` (skipped: ${skipRpm})` : ""}`, () => {
  const work = scratchDir("rpm-test-");
  const place = { rootDir: "", work: "", main: rpms.main };
  const { inRoot, scriptlet, runScriptlet } = scratchRoot(place);

  describe.skipIf(skipRun !== undefined)(`installed in a scratch root${skipRun && !skipRpm ? ` (skipped: ${skipRun})` : ""}`, () => {
    beforeAll(() => {
      place.work = work.path;
      // A stub systemctl for the scriptlets, recording its calls.
      mkdirSync(join(work.path, "stubs"));
      writeFileSync(join(work.path, "stubs/systemctl"), `#!/bin/sh\necho "$*" >> ${work.path}/systemctl.log\n`);
      chmodSync(join(work.path, "stubs/systemctl"), 0o755);
      place.rootDir = join(work.path, "root");
      execFileSync("rpm", ["-i", "--root", place.rootDir, "--nodeps", "--noscripts", rpms.main, rpms.runtime], { stdio: "ignore" });
      // What the xapi-storage-script package provides on a host; plus, for %posttrans to clean
      // up, a link an earlier version could have left and a foreign plugin it must not touch.
      mkdirSync(join(place.rootDir, XSS, "volume"), { recursive: true });
      mkdirSync(join(place.rootDir, XSS, "datapath/tapdisk"), { recursive: true });
      execFileSync("ln", ["-s", `${PKG}/datapath/rbd+gone`, join(place.rootDir, XSS, "datapath/rbd+gone")]);
    });

    it("%posttrans publishes each plugin directory as one link, idempotently, and cleans up stale links", () => {
      for (let i = 0; i < 2; i++) {
        const r = runScriptlet("POSTTRANS", "");
        expect(r.code, r.stderr).toBe(0);
      }
      expect(readlinkSync(join(place.rootDir, VOLUME))).toBe(`${PKG}/volume/org.xen.xapi.storage.ceph-rbd`);
      expect(readlinkSync(join(place.rootDir, XSS, "datapath/rbd"))).toBe(`${PKG}/datapath/rbd`);
      expect(readlinkSync(join(place.rootDir, XSS, "datapath/rbd+nbd"))).toBe(`${PKG}/datapath/rbd+nbd`);
      expect(present(join(place.rootDir, XSS, "datapath/rbd+gone"))).toBe(false);
      expect(existsSync(join(place.rootDir, XSS, "datapath/tapdisk"))).toBe(true);
      // Made aside and renamed: no temporary name is left in the watched directories.
      expect(
        sh("ls", ["-A", join(place.rootDir, XSS, "datapath")])
          .stdout.split("\n")
          .filter(Boolean)
          .sort(),
      ).toEqual(["rbd", "rbd+nbd", "tapdisk"]);
    });

    it("the run directory is made root's alone at boot, and the GC unit is sandboxed and valid", () => {
      const tmpfiles = readFileSync(join(place.rootDir, "usr/lib/tmpfiles.d/xcp-ceph-rbd.conf"), "utf8");
      expect(tmpfiles.split("\n").filter((l) => l && !l.startsWith("#"))).toEqual(["d /run/ceph-rbd 0700 root root -"]);
      const unit = join(place.rootDir, "usr/lib/systemd/system/ceph-rbd-gc@.service");
      const text = readFileSync(unit, "utf8");
      for (const d of ["NoNewPrivileges=yes", "ProtectSystem=strict", "ReadOnlyDirectories=/", "PrivateTmp=yes", "ProtectHome=yes"])
        expect(text).toContain(`\n${d}\n`);
      expect(text).toMatch(/\nReadWriteDirectories=\/run\/ceph-rbd( |\n)/);
      // systemd's own reading of the unit, against the installed tree (its ExecStart included).
      const v = sh("systemd-analyze", ["verify", `--root=${place.rootDir}`, "/usr/lib/systemd/system/ceph-rbd-gc@x.service"]);
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
        const open = join(work.path, "open.keyring");
        copyFileSync(keyring, open);
        chmodSync(open, 0o644);
        const r = doctor("--keyring", open);
        expect(r.code).toBe(1);
        expect(statusOf(r, "keyring")).toMatchObject({ status: "FAIL", detail: expect.stringContaining(`${open} is world-readable`) });
      }
      const missing = doctor("--keyring", join(work.path, "no.keyring"), "--timeout", "3");
      expect(missing.code).toBe(1);
      expect(statusOf(missing, "keyring")).toMatchObject({ status: "FAIL" });
      const dead = doctor("--monhost", "127.0.0.1:9", "--timeout", "2");
      expect(dead.code).toBe(1);
      expect(statusOf(dead, "cluster")).toMatchObject({ status: "FAIL", detail: expect.stringMatching(/^not reachable/) });
    });

    it("%post compiles the session helper's bytecode by the host's python3, which then imports its modules from it", () => {
      const cache = join(place.rootDir, PKG, "lib/__pycache__");
      expect(existsSync(cache)).toBe(false);
      expect(runScriptlet("POSTIN", "1").code).toBe(0);
      const tag = sh("/usr/bin/python3", ["-c", "import sys; print(sys.implementation.cache_tag)"]).stdout.trim();
      const modules = sh("ls", [join(place.rootDir, PKG, "lib")])
        .stdout.split("\n")
        .filter((n) => n.endsWith(".py"));
      expect(modules.length).toBeGreaterThan(5);
      expect(new Set(sh("ls", [cache]).stdout.split("\n").filter(Boolean))).toEqual(new Set(modules.map((m) => m.replace(/\.py$/, `.${tag}.pyc`))));
      // Valid for the sources as installed: importing a module reads its bytecode, compiles nothing.
      const r = inRoot(["/usr/bin/python3", "-E", "-S", "-v", "-c", `import sys; sys.path.insert(0, "${PKG}/lib"); import ceph_rbd_session_survey`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/matches .*ceph_rbd_session_survey\.py/);
      expect(r.stderr).not.toMatch(/code object from .*ceph_rbd_session_survey\.py\b/);
    });

    it("%preun keeps everything on upgrade; on removal it unpublishes the plugins first and stops only the GC", () => {
      rmSync(join(work.path, "systemctl.log"), { force: true });
      expect(runScriptlet("PREUN", "1").code).toBe(0);
      expect(present(join(place.rootDir, VOLUME))).toBe(true);
      expect(runScriptlet("POSTUN", "1").code).toBe(0);
      expect(readFileSync(join(work.path, "systemctl.log"), "utf8")).toMatch(/try-restart ceph-rbd-gc@\*\.service/);
      expect(existsSync(join(place.rootDir, PKG, "lib/__pycache__"))).toBe(true);

      rmSync(join(work.path, "systemctl.log"), { force: true });
      expect(runScriptlet("PREUN", "0").code).toBe(0);
      expect(present(join(place.rootDir, VOLUME))).toBe(false);
      expect(present(join(place.rootDir, XSS, "datapath/rbd"))).toBe(false);
      expect(existsSync(join(place.rootDir, XSS, "datapath/tapdisk"))).toBe(true);
      expect(readFileSync(join(work.path, "systemctl.log"), "utf8").trim().split("\n")).toEqual(["stop ceph-rbd-gc@*.service"]);
      // The bytecode %post made goes with the package.
      expect(existsSync(join(place.rootDir, PKG, "lib/__pycache__"))).toBe(false);
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
