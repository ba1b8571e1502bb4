// Secrets and shells. The cluster's cephx secrets (every `key = ...` line of the test cluster's
// keyrings) must never appear in a verb's stdout (results, URIs, error objects), its stderr log,
// its syslog lines, the SR's metadata, or the argument list or environment of any process the
// verbs start; keyring files made by the project's scripts are 0600; no shell is among the
// processes seen while the verbs run (that the sources start none is the linter's rule:
// eslint.config.mjs).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { descendantsOf, processes } from "../helpers/processes.js";
import { ADMIN, DATAPATH_DIR, runExecutable, runVerb, type VerbRun } from "../helpers/run-verb.js";
import type { WireVolume } from "../helpers/sr.js";
import { summary } from "../helpers/summary.js";
import { clusterDir, clusterKeyrings, secretsOf } from "../helpers/cluster-keyrings.js";

const MiB = 2 ** 20;
const HOST = "cccccccc-3333-4333-8333-cccccccccccc";

describe("no secret leaves the keyring", () => {
  let omap = "";
  let secrets: string[];
  let adminKeyring: string;
  let xcpKeyring: string | undefined;
  let fakeBin: string;
  let syslogFile: string;
  let syslogListener: ChildProcess | undefined;
  const runs: Array<{ what: string; out: string }> = [];
  let sampler: NodeJS.Timeout | undefined;
  let samples = 0;
  const seen = new Map<string, string[]>();
  const leaksInArgs: string[] = [];
  const shells: string[] = [];
  const figures = { verbs: 0, failing: 0, samples: 0, children: 0, keyrings: 0 };

  // A needle is a whole secret or any 16 characters of one: a truncated secret leaks as well.
  const needles = () => secrets.flatMap((k) => [k, k.slice(0, 16), k.slice(-16)]);
  const leak = (text: string): string | undefined => needles().find((n) => text.includes(n));

  const env = () => ({
    CEPH_RBD_LOG_STDERR: "debug",
    CEPH_RBD_LOG_SYSLOG: "debug",
    // `logger` (the syslog hand-off) is a recorder here: what would reach /var/log/SMlog.
    PATH: `${fakeBin}:${process.env.PATH ?? ""}`,
    SECURITY_SYSLOG_FILE: syslogFile,
    CEPH_RBD_SYSLOG_SOCKET: join(fakeBin, "log"),
    CEPH_RBD_HOST_UUID: HOST,
    CEPH_RBD_RUN_DIR: join(fakeBin, "run"),
  });
  const record = (what: string, r: VerbRun) => {
    runs.push({ what, out: `${r.stdout}\n${r.stderr}` });
    return r;
  };
  const verb = async (name: string, params: Record<string, unknown>, ok = true) => {
    const r = record(name, await runVerb(name, { dbg: `security-${name}`, ...params }, env()));
    if (ok) expect(r.code, `${name}: ${r.stdout} ${r.stderr.slice(-1000)}`).toBe(0);
    else {
      expect(r.code, `${name} should fail`).not.toBe(0);
      figures.failing++;
    }
    figures.verbs++;
    return r;
  };
  const dp = async (name: string, uri: string) => {
    const r = record(name, await runExecutable(join(DATAPATH_DIR("rbd+nbd"), name), JSON.stringify({ dbg: "security", uri, domain: "3" }), ["--json"], env()));
    expect(r.code, `${name}: ${r.stdout}`).toBe(0);
    figures.verbs++;
    return r;
  };
  const admin = async (args: string[]) => {
    const r = record(`admin ${args[0]}`, await runExecutable(ADMIN, "", args, env()));
    expect(r.code, `admin ${args.join(" ")}: ${r.stderr.slice(-1000)}`).toBe(0);
    figures.verbs++;
    return r;
  };

  beforeAll(async () => {
    const files = clusterKeyrings();
    secrets = [...new Set(files.flatMap(secretsOf))];
    adminKeyring = files.find((f) => /client\.admin/.test(f)) ?? files[0] ?? "";
    xcpKeyring = files.find((f) => /client\.xcp/.test(f));
    expect(secrets.length, `no secret found in ${files.join(", ")}`).toBeGreaterThan(0);
    fakeBin = mkdtempSync(join(tmpdir(), "security-bin-"));
    syslogFile = join(fakeBin, "syslog");
    writeFileSync(syslogFile, "");
    writeFileSync(
      join(fakeBin, "logger"),
      `#!${process.execPath}\nlet s = "";\nprocess.stdin.on("data", (d) => (s += d));\nprocess.stdin.on("end", () => require("node:fs").appendFileSync(process.env.SECURITY_SYSLOG_FILE, s));\n`,
    );
    chmodSync(join(fakeBin, "logger"), 0o755);
    // With the session service on, the lines go to the syslog socket instead (service.test.ts):
    // a recorder there too, into the same file.
    syslogListener = spawn("/usr/bin/python3", [
      "-c",
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nwhile True:\n  d=s.recv(70000)\n  open(sys.argv[2],"ab").write(d+b"\\n")`,
      join(fakeBin, "log"),
      syslogFile,
    ]);
    // Every 20 ms: the argument lists of every process, the environment of ours.
    const me = process.pid;
    sampler = setInterval(() => {
      samples++;
      // Every process's argument list now and then; our descendants' (the verbs and what they
      // start) and their environments at every sample.
      if (samples % 10 === 0) {
        for (const p of processes()) if (leak(p.argv.join(" "))) leaksInArgs.push(`pid ${p.pid}: ${p.argv.join(" ").slice(0, 300)}`);
      }
      for (const p of descendantsOf(me)) {
        const line = p.argv.join(" ");
        if (!seen.has(`${p.pid} ${line}`)) seen.set(`${p.pid} ${line}`, p.argv);
        if (leak(line)) leaksInArgs.push(`pid ${p.pid}: ${line.slice(0, 300)}`);
        if (/^(\/usr)?(\/bin\/)?(sh|bash|dash|zsh)$/.test(p.argv[0] ?? "") && p.argv.includes("-c")) shells.push(line.slice(0, 300));
        try {
          const environ = readFileSync(`/proc/${p.pid}/environ`, "utf8");
          if (leak(environ)) leaksInArgs.push(`environment of pid ${p.pid} (${line.slice(0, 100)})`);
        } catch {
          // gone meanwhile
        }
      }
    }, 20);
  });

  afterAll(() => {
    if (sampler) clearInterval(sampler);
    syslogListener?.kill("SIGKILL");
    if (fakeBin) rmSync(fakeBin, { recursive: true, force: true });
    summary("security", {
      secrets: secrets?.length ?? 0,
      verbs: figures.verbs,
      failing_verbs: figures.failing,
      process_samples: samples,
      child_processes_seen: seen.size,
      keyrings_checked: figures.keyrings,
    });
  });

  it("a representative run of verbs, failing ones too: no secret in outputs, logs, metadata, arguments or environments", { timeout: 300_000 }, async () => {
    const { conf, pool } = inject("ceph");
    await verb("Plugin.diagnostics", {});
    await verb("SR.probe", { configuration: { pool, conf } });
    // An SR whose device-config names the keyring explicitly: the path travels, never the key.
    const uuid = randomUUID();
    const cfg = JSON.parse(
      (await verb("SR.create", { uuid, configuration: { pool, conf, user: "admin", keyring: adminKeyring }, name: "security", description: "" })).stdout,
    ) as Record<string, string>;
    expect(cfg.keyring).toBe(adminKeyring);
    const sr = JSON.parse((await verb("SR.attach", { configuration: cfg })).stdout) as string;
    await verb("SR.stat", { sr });
    const v = JSON.parse((await verb("Volume.create", { sr, name: "secret-test", description: "", size: 8 * MiB, sharable: false })).stdout) as WireVolume;
    expect(v.uri.every((u) => u.includes(encodeURIComponent(adminKeyring)))).toBe(true);
    await verb("Volume.set", { sr, key: v.key, k: "vm", v: "value" });
    await verb("Volume.stat", { sr, key: v.key });
    // Slow verbs, with their Ceph children sampled while they run.
    const snap = JSON.parse((await verb("Volume.snapshot", { sr, key: v.key })).stdout) as WireVolume;
    const clone = JSON.parse((await verb("Volume.clone", { sr, key: snap.key })).stdout) as WireVolume;
    await verb("Volume.resize", { sr, key: v.key, new_size: 12 * MiB });
    await verb("Volume.revert", { sr, key: v.key, snapshot: snap.key });
    await verb("SR.ls", { sr });
    // The datapath: a qemu-storage-daemon gets the keyring through CEPH_ARGS.
    const uri = clone.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "";
    await dp("Datapath.attach", uri);
    await dp("Datapath.activate", uri);
    await new Promise((r) => setTimeout(r, 300));
    await dp("Datapath.deactivate", uri);
    await dp("Datapath.detach", uri);
    await admin(["gc", "status", "--sr", sr, "--json"]);
    await admin(["gc", "run", "--sr", sr, "--json"]);
    await admin(["fsck", "--sr", sr, "--json"]);
    await verb("Volume.destroy", { sr, key: clone.key });
    await verb("Volume.destroy", { sr, key: snap.key });
    await verb("Volume.destroy", { sr, key: v.key });

    // Failing verbs, whose errors quote Ceph's own words.
    await verb("Volume.stat", { sr, key: randomUUID() }, false);
    // The keyring given as the configuration file, and the configuration as the keyring.
    await verb("SR.probe", { configuration: { pool, conf: adminKeyring } }, false);
    await verb("SR.attach", { configuration: { ...cfg, conf: adminKeyring } }, false);
    await verb("SR.attach", { configuration: { ...cfg, keyring: conf } }, false);
    // The right keyring for another user, and another user's keyring for this one.
    // (SR.stat may answer with a health of Unreachable instead of failing.)
    const other = await runVerb("SR.stat", { dbg: "security", sr: sr.replace("user=admin", "user=nobody") }, env());
    record("SR.stat as nobody", other);
    expect(other.code === 0 ? (other.json as { health: string[] }).health[0] : "failed").not.toBe("Healthy");
    if (xcpKeyring) await verb("SR.attach", { configuration: { ...cfg, keyring: xcpKeyring } }, false);
    await verb(
      "Volume.create",
      { sr: sr.replace(encodeURIComponent(adminKeyring), encodeURIComponent(conf)), name: "x", description: "", size: MiB, sharable: false },
      false,
    );
    // What the SR's metadata holds by now: records, URIs' parts, the journal, the GC's report.
    const ns = new URLSearchParams(sr.split("?")[1]).get("namespace") ?? decodeURIComponent(/^ceph-rbd:\/\/[^/]+\/([^?]+)/.exec(sr)?.[1] ?? "");
    omap = execFileSync("rados", ["--conf", conf, "--pool", pool, "--namespace", ns, "listomapvals", "ceph_rbd_sr"], { encoding: "latin1" });
    await verb("SR.destroy", { sr });

    // Let the last syslog hand-offs land, and the sampler take a last look.
    await new Promise((r) => setTimeout(r, 500));
    const syslog = readFileSync(syslogFile, "utf8");
    expect(syslog.split("\n").length, "the syslog recorder got the verbs' lines").toBeGreaterThan(figures.verbs);
    const found = runs.filter((r) => leak(r.out)).map((r) => `${r.what}: ${r.out.slice(0, 300)}`);
    expect(found, "a secret in a verb's stdout or stderr").toEqual([]);
    expect(leak(syslog), "a secret in a syslog line").toBeUndefined();
    expect(leaksInArgs, "a secret in an argument list or environment").toEqual([]);
    expect(shells, "a shell among the verbs' processes").toEqual([]);
    // The sampler really saw the verbs' Ceph children, the export server among them.
    const argvs = [...seen.values()].map((a) => a.join(" "));
    expect(
      argvs.some((a) => /python3.*ceph-session(-service)?\.py/.test(a)),
      "saw the librados session",
    ).toBe(true);
    expect(
      argvs.some((a) => /qemu-storage-daemon/.test(a)),
      "saw qemu-storage-daemon",
    ).toBe(true);
    expect(argvs.filter((a) => /--key(file)?\b|--secret/.test(a))).toEqual([]);
    figures.samples = samples;
  });

  it("the SR's metadata holds no secret", () => {
    expect(omap).toMatch(/sr:config/);
    expect(leak(omap)).toBeUndefined();
  });

  // A cluster that scripts/ceph-local.sh did not make (CEPH_TEST_CONF): nothing of ours to check.
  const noScriptCluster = !clusterDir();
  it.skipIf(noScriptCluster)(
    `keyring files made by the project's scripts are 0600${noScriptCluster ? " (skipped: the test cluster was not made by scripts/ceph-local.sh)" : ""}`,
    () => {
      const dir = clusterDir();
      const files = clusterKeyrings().filter((f) => f.startsWith(dir));
      expect(files.length).toBeGreaterThanOrEqual(3);
      for (const f of files) expect((statSync(f).mode & 0o777).toString(8), relative(dir, f)).toBe("600");
      figures.keyrings = files.length;
    },
  );
});
