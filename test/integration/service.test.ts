// The per-host session service (ceph-session-service.py, plugins/ceph/service-*.ts): started by
// the first verb that needs Ceph, one per host however many race to start it, serving every
// verb of the host; replaced when it runs another version; gone when idle; refused (the verb
// then uses a session of its own, with one warning) when its socket is not root's alone. Each
// test has a run directory, so a service, of its own.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonDigest } from "../../plugins/ceph/python-digest.js";
import { VERSION } from "../../plugins/version.js";
import { clusterKeyrings } from "../helpers/cluster-keyrings.js";
import { DATAPATH_DIR, LIB_DIR, runAdmin, runExecutable, runVerb, call, type VerbRun } from "../helpers/run-verb.js";
import {
  fallbackWarnings,
  pidFileOf,
  recordedPid,
  servedByService,
  serviceEnv,
  serviceRunDir,
  servicesOf,
  socketOf,
  stopServices,
  until,
} from "../helpers/service.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 2 ** 20;
const runs: string[] = [];
const fresh = () => {
  const run = serviceRunDir();
  runs.push(run);
  return run;
};

let s: TestSr;
let vol: WireVolume;
const stat = (env: Record<string, string>): Promise<VerbRun> => runVerb("Volume.stat", { dbg: "service", sr: s.sr, key: vol.key }, env);
const ok = (r: VerbRun) => expect(r.code, r.stderr.slice(-2000)).toBe(0);

beforeAll(async () => {
  s = await makeSr();
  vol = await call<WireVolume>("Volume.create", { sr: s.sr, name: "service", description: "", size: 4 * MiB, sharable: false });
});
afterAll(() => stopServices(runs));

describe("the session service", () => {
  it("is started by the first verbs that need Ceph, once however many race, and serves each of them", async () => {
    const run = fresh();
    const rs = await Promise.all([1, 2, 3].map(() => stat(serviceEnv(run))));
    for (const r of rs) {
      ok(r);
      expect(servedByService(r), r.stderr).toBe(true);
      expect(fallbackWarnings(r)).toEqual([]);
    }
    await until("the racers' extra services have left", () => servicesOf(run).length <= 1);
    expect(servicesOf(run)).toEqual([recordedPid(run)]);
    const pid = recordedPid(run);
    const again = await runVerb("Volume.set", { dbg: "service", sr: s.sr, key: vol.key, k: "svc", v: "1" }, serviceEnv(run));
    ok(again);
    expect(servedByService(again)).toBe(true);
    expect(servicesOf(run)).toEqual([pid]);
  });

  it("takes a verb's syslog lines, so that the verb starts no logger; a verb on its own session hands them to logger", async () => {
    const run = fresh();
    // A syslog socket (a datagram socket Node cannot bind: Python does) and a recording `logger`.
    const dir = join(run, "syslog");
    mkdirSync(dir);
    const sock = join(dir, "log");
    const got = join(dir, "got");
    const loggerCalls = join(dir, "logger-calls");
    const listener = spawn("/usr/bin/python3", [
      "-c",
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nwhile True:\n  d=s.recv(70000)\n  open(sys.argv[2],"ab").write(d+b"\\n")`,
      sock,
      got,
    ]);
    try {
      await until("the syslog socket is bound", () => existsSync(sock));
      writeFileSync(join(dir, "logger"), `#!/bin/sh\necho called >> ${loggerCalls}\ncat > /dev/null\n`);
      chmodSync(join(dir, "logger"), 0o755);
      const env = serviceEnv(run, { CEPH_RBD_SYSLOG_SOCKET: sock, CEPH_RBD_LOG_SYSLOG: "info", PATH: `${dir}:${process.env.PATH ?? ""}` });
      ok(await stat(env)); // starts the service
      const warm = await stat(env);
      ok(warm);
      expect(servedByService(warm)).toBe(true);
      const pid = /\[(\d+)\] - INFO - \[service\] Volume\.stat ok in/.exec(warm.stderr)?.[1];
      expect(pid, warm.stderr).toBeDefined();
      await until(
        "the verb's closing line reaches syslog",
        () => existsSync(got) && readFileSync(got, "utf8").includes(`SMAPIv3: [${pid}] - INFO - [service] Volume.stat ok in`),
      );
      // local2.info, as `logger -t SMAPIv3` sends it.
      expect(readFileSync(got, "utf8")).toMatch(new RegExp(`^<150>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d SMAPIv3: \\[${pid}\\] - INFO`, "m"));
      expect(existsSync(loggerCalls)).toBe(false);
      // Control: the same verb on a session of its own hands its lines to logger.
      ok(await stat({ ...env, CEPH_RBD_SERVICE: "off" }));
      await until("logger is called", () => existsSync(loggerCalls));
    } finally {
      listener.kill("SIGKILL");
    }
  });

  it("is never started by Plugin.Query, nor by the verbs that need no Ceph, nor when it is off", async () => {
    const run = fresh();
    const q = await runVerb("Plugin.Query", { dbg: "service" }, serviceEnv(run));
    ok(q);
    // rbd+nbd's attach and detach: the export's socket is named from the URI alone.
    const uri = vol.uri.find((u) => u.startsWith("rbd+nbd://"));
    expect(uri).toBeDefined();
    for (const verb of ["Datapath.attach", "Datapath.detach"]) {
      ok(await runExecutable(join(DATAPATH_DIR("rbd+nbd"), verb), JSON.stringify({ dbg: "service", uri, domain: "0" }), ["--json"], serviceEnv(run)));
    }
    expect(existsSync(socketOf(run))).toBe(false);
    expect(servicesOf(run)).toEqual([]);
    const off = await stat(serviceEnv(run, { CEPH_RBD_SERVICE: "off" }));
    ok(off);
    expect(servedByService(off)).toBe(false);
    expect(existsSync(socketOf(run))).toBe(false);
    expect(servicesOf(run)).toEqual([]);
  });

  it("of another version is asked to leave and replaced by the verb's own", async () => {
    const run = fresh();
    mkdirSync(join(run, "session-service"), { mode: 0o700 });
    // A service of another build (as after an RPM upgrade): same files, another plugin version.
    const old = spawn(
      "/usr/bin/python3",
      ["-E", "-S", join(LIB_DIR, "ceph-session-service.py"), "--socket", socketOf(run), "--pid-file", pidFileOf(run), "--version", "0.0.0-old", "--idle", "60"],
      { detached: true, stdio: "ignore" },
    );
    old.unref();
    await until("the old service answers", () => existsSync(socketOf(run)) && servicesOf(run).includes(old.pid ?? 0));
    const r = await stat(serviceEnv(run));
    ok(r);
    expect(servedByService(r), r.stderr).toBe(true);
    expect(fallbackWarnings(r)).toEqual([]);
    expect(r.stderr).toMatch(/runs another version/);
    await until("the old service has left", () => !servicesOf(run).includes(old.pid ?? 0));
    expect(servicesOf(run)).toEqual([recordedPid(run)]);
    expect(recordedPid(run)).not.toBe(old.pid);
  });

  // The build writes the Python files' digest into the bundles, so that a verb reads none of them.
  it("runs the version the build wrote: the plugin's, the digest of the Python files it installed, the Python's identity", async () => {
    const run = fresh();
    ok(await stat(serviceEnv(run)));
    const status = (await runAdmin(["service", "status", "--json"], serviceEnv(run))).json as { service: { version: string }; current: boolean };
    const py = statSync("/usr/bin/python3");
    const [version, digest, exe] = status.service.version.split(":");
    expect(version).not.toBe(VERSION); // "dev" from the sources: the build's own
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(digest).toBe(pythonDigest(LIB_DIR));
    expect(exe).toBe(`${py.dev}.${py.ino}`);
    expect(status.current).toBe(true);
  });

  // Bulk work (a GC survey's header reads and opens) stays out of the verbs' service.
  it("is not used by ceph-rbd-admin: a GC pass with the service on runs its own session, starts no service and does not connect to a running one", async () => {
    const run = fresh();
    const alone = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], serviceEnv(run, { CEPH_RBD_LOG_STDERR: "debug" }));
    expect(alone.code, alone.stderr.slice(-2000)).toBe(0);
    expect(alone.stderr).toContain("librados session: a process of its own");
    expect(servedByService(alone)).toBe(false);
    expect(existsSync(socketOf(run)), "no service started").toBe(false);
    expect(servicesOf(run)).toEqual([]);
    // With the service running (a verb started it), the same.
    ok(await stat(serviceEnv(run)));
    const r = await runAdmin(["gc", "run", "--sr", s.sr, "--json"], serviceEnv(run, { CEPH_RBD_LOG_STDERR: "debug" }));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain("librados session: a process of its own");
    expect(servedByService(r)).toBe(false);
    expect(fallbackWarnings(r)).toEqual([]);
  });

  it("leaves once idle for CEPH_RBD_SERVICE_IDLE", async () => {
    const run = fresh();
    ok(await stat(serviceEnv(run, { CEPH_RBD_SERVICE_IDLE: "2" })));
    const pid = recordedPid(run);
    expect(servicesOf(run)).toEqual([pid]);
    await until("the idle service has left", () => servicesOf(run).length === 0, 15_000);
    expect(existsSync(socketOf(run)), "it took its socket along").toBe(false);
  });

  // The admin keyring, named by path in the SR's device-config (what a keyring rotation changes).
  const adminKeyring = () => clusterKeyrings().find((k) => readFileSync(k, "utf8").includes("[client.admin]")) ?? "";
  it.each(["ceph.conf", "keyring"])("reconnects when its %s changes on disk: a new librados client for the next verbs", async (which) => {
    const run = fresh();
    const keyring = adminKeyring();
    expect(keyring, "the test cluster's admin keyring").not.toBe("");
    const own = which === "keyring" ? await makeSr({ keyring }) : s;
    const target =
      which === "keyring" ? (await call<WireVolume>("Volume.create", { sr: own.sr, name: "k", description: "", size: 4 * MiB, sharable: false })).key : vol.key;
    const statOwn = () => runVerb("Volume.stat", { dbg: "service", sr: own.sr, key: target }, serviceEnv(run));
    ok(await statOwn());
    const clients = async () =>
      ((await runAdmin(["service", "status", "--json"], serviceEnv(run))).json as { service: { clients: { generation: number; keyring: string }[] } }).service
        .clients;
    const before = await clients();
    expect(before).toHaveLength(1);
    expect(before[0]?.keyring).toBe(which === "keyring" ? keyring : "");
    const later = new Date(Date.now() + 5000);
    utimesSync(which === "keyring" ? keyring : s.conf, later, later);
    const r = await statOwn();
    ok(r);
    expect(servedByService(r)).toBe(true);
    const after = await clients();
    expect(after).toHaveLength(1);
    expect(after[0]?.generation).toBeGreaterThan(before[0]?.generation ?? 0);
  });

  describe("refused, the verb uses its own session after one warning", () => {
    const refused = async (spoil: (run: string) => void, why: RegExp) => {
      const run = fresh();
      ok(await stat(serviceEnv(run)));
      const pid = recordedPid(run);
      spoil(run);
      const r = await runVerb("Volume.set", { dbg: "service", sr: s.sr, key: vol.key, k: "refused", v: "1" }, serviceEnv(run));
      ok(r);
      expect(servedByService(r)).toBe(false);
      const warned = fallbackWarnings(r);
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(why);
      expect(servicesOf(run)).toEqual([pid]);
    };
    it("a socket owned by another user", () => refused((run) => chownSync(socketOf(run), 65534, 65534), /not private \(uid 65534/));
    it("a socket open to others", () => refused((run) => chmodSync(socketOf(run), 0o666), /not private .*mode 666/));
    it("a directory open to others", () => refused((run) => chmodSync(join(run, "session-service"), 0o755), /not private .*mode 755/));
    it("a socket missing while the service runs", () => refused((run) => rmSync(socketOf(run)), /socket is missing while pid/));
  });
});
