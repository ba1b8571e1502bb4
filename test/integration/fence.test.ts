// Fencing on a real cluster, hosts simulated by identity and run directory: it cuts off the dead
// host's own Ceph client and nothing else, refuses what it cannot do safely unless told, and the
// activation is claimed before the datapath starts. Also: no device-config value becomes an
// option of qemu-storage-daemon.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../plugins/log.js";
import { startExport, stopExport } from "../../plugins/ceph/qsd.js";
import { signal } from "../../plugins/process.js";
import { call, DATAPATH_DIR, runAdmin, runExecutable, type WireError } from "../helpers/run-verb.js";
import { makeSr, type TestSr, type WireVolume } from "../helpers/sr.js";

const MiB = 1024 * 1024;
const HOST_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
const HOST_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb";
const HOST_C = "cccccccc-3333-4333-8333-cccccccccccc";
const HOST_D = "dddddddd-4444-4444-8444-dddddddddddd";
const HOST_E = "eeeeeeee-5555-4555-8555-eeeeeeeeeeee";
let s: TestSr;
let run: string;
// Every address a test here might get blocklisted, removed at the end whatever happened.
const blocklisted: string[] = [];
const standIns: number[] = [];

type Backend = { implementations: Array<[string, Record<string, unknown>]> };
type Activation = { host: string; clients: string[]; starting?: boolean };

const host = (id: string) => ({ CEPH_RBD_HOST_UUID: id, CEPH_RBD_RUN_DIR: join(run, id) });
const ceph = (tool: string, args: string[]) => execFileSync(tool, ["--conf", s.conf, ...args], { encoding: "utf8" });
const rados = (args: string[]) => ceph("rados", ["--pool", s.pool, "--namespace", s.namespace, ...args]);

async function dp<T = null>(verb: string, uri: string, domain: string, env: Record<string, string>): Promise<T> {
  const r = await runExecutable(join(DATAPATH_DIR("rbd+nbd"), `Datapath.${verb}`), JSON.stringify({ dbg: `fence-${verb}`, uri, domain }), ["--json"], env);
  if (r.code !== 0) throw Object.assign(new Error(`Datapath.${verb} exited ${r.code}: ${r.stdout}`), { wire: r.json as WireError });
  return r.json as T;
}
const failing = (verb: string, uri: string, env: Record<string, string>, extra: Record<string, string> = {}) =>
  dp(verb, uri, "1", { ...env, ...extra }).then(
    () => undefined,
    (x: { wire: WireError }) => x.wire,
  );

const nbdOf = (b: Backend) => (b.implementations.find(([k]) => k === "Nbd")?.[1] as { uri: string }).uri;
const io = (nbd: string, cmd: string) => {
  const m = /^nbd:unix:(.+):exportname=(.+)$/.exec(nbd);
  return execFileSync("qemu-io", ["-f", "raw", "-c", cmd, `nbd+unix:///${m?.[2]}?socket=${m?.[1]}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
};
const imageOf = (uri: string) => decodeURIComponent(/^[a-z+]+:\/\/[^/]+\/[^/]*\/([^/?]+)\?/.exec(uri)?.[1] ?? "");
const watchers = (image: string): string[] =>
  (JSON.parse(ceph("rbd", ["status", "--format", "json", `${s.pool}/${s.namespace}/${image}`])) as { watchers: Array<{ address: string }> }).watchers.map(
    (w) => w.address,
  );
const blocklist = (): string[] =>
  ceph("ceph", ["osd", "blocklist", "ls"])
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);

function activationText(key: string): string | undefined {
  const keys = rados(["listomapkeys", "ceph_rbd_sr"]).split("\n");
  if (!keys.includes(`act:${key}`)) return undefined;
  const out = join(mkdtempSync(join(tmpdir(), "omap-")), "v");
  rados(["getomapval", "ceph_rbd_sr", `act:${key}`, out]);
  return readFileSync(out, "utf8");
}
const activation = (key: string): Activation | undefined => {
  const text = activationText(key);
  return text === undefined ? undefined : (JSON.parse(text) as Activation);
};
const forge = (key: string, value: string) => rados(["setomapval", "ceph_rbd_sr", `act:${key}`, value]);

async function volume(name: string): Promise<{ key: string; uri: string }> {
  const v = await call<WireVolume>("Volume.create", { sr: s.sr, name, description: "", size: 8 * MiB, sharable: false });
  return { key: v.key, uri: v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "" };
}

// Another client of the image on host A, as A's kernel mapping stays after a live migration
// (deactivate does not unmap): a qemu-storage-daemon of the test's own, writable.
function standIn(image: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stand-in-"));
  const socket = join(dir, "s.sock");
  execFileSync("qemu-storage-daemon", [
    "--blockdev",
    `driver=rbd,node-name=disk,pool=${s.pool},namespace=${s.namespace},image=${image},conf=${s.conf},cache.direct=on`,
    "--nbd-server",
    `addr.type=unix,addr.path=${socket}`,
    "--export",
    "type=nbd,id=e,node-name=disk,name=standin,writable=on",
    "--pidfile",
    join(dir, "pid"),
    "--daemonize",
  ]);
  standIns.push(Number(readFileSync(join(dir, "pid"), "utf8")));
  return `nbd:unix:${socket}:exportname=standin`;
}

beforeAll(async () => {
  s = await makeSr({ datapath: "rbd+nbd" });
  run = mkdtempSync(join(tmpdir(), "fence-run-"));
});

afterAll(() => {
  const listed = blocklist();
  for (const a of new Set(blocklisted)) if (listed.includes(a)) ceph("ceph", ["osd", "blocklist", "rm", a]);
  for (const pid of standIns) signal(pid, "SIGKILL");
});

describe("fencing after a live migration", () => {
  it("blocklists the new host's own export client only: the source host's remaining client keeps writing", async () => {
    const v = await volume("mig");
    const image = imageOf(v.uri);
    const a = nbdOf(await dp<Backend>("attach", v.uri, "5", host(HOST_A)));
    await dp("activate", v.uri, "5", host(HOST_A));
    io(a, "write -P 0x11 0 1M");
    const aside = standIn(image);
    const b = nbdOf(await dp<Backend>("attach", v.uri, "9", host(HOST_B)));
    await dp("deactivate", v.uri, "5", host(HOST_A));
    const standInAddr = watchers(image);
    expect(standInAddr).toHaveLength(1);
    await dp("activate", v.uri, "9", host(HOST_B));
    const record = activation(v.key);
    expect(record?.host).toBe(HOST_B);
    expect(record?.clients).toHaveLength(1);
    expect(record?.clients).not.toContain(standInAddr[0]);
    expect(watchers(image)).toContain(record?.clients[0]);
    blocklisted.push(...(record?.clients ?? []), ...standInAddr);
    io(b, "write -P 0x22 0 1M");

    const r = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_B, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { blocklisted: string[] }).blocklisted).toEqual(record?.clients);
    expect(blocklist()).toContain(record?.clients[0]);
    expect(blocklist()).not.toContain(standInAddr[0]);
    // Host A's client writes on; host B's export is cut off.
    expect(io(aside, "write -P 0x33 1M 1M")).toMatch(/wrote 1048576\/1048576/);
    expect(() => io(b, "write -P 0x44 2M 1M")).toThrow();
    await dp("deactivate", v.uri, "9", host(HOST_B));
    await dp("detach", v.uri, "9", host(HOST_B));
    await dp("detach", v.uri, "5", host(HOST_A));
  });
});

describe("fence refuses what it cannot do safely", () => {
  it("refuses an address that another host's activation holds, even with --force", async () => {
    const v = await volume("held");
    const other = await volume("other");
    await dp("attach", v.uri, "2", host(HOST_A));
    await dp("activate", v.uri, "2", host(HOST_A));
    const clients = activation(v.key)?.clients ?? [];
    blocklisted.push(...clients);
    forge(other.key, JSON.stringify({ host: HOST_C, domain: "3", scheme: "rbd+nbd", since: "x", clients }));
    for (const force of [[], ["--force"]]) {
      const r = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_A, "--yes", ...force]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`host ${HOST_C}'s activation of volume ${other.key} records it too`));
    }
    expect(blocklist()).not.toContain(clients[0]);
    expect(activation(v.key)?.host).toBe(HOST_A);
    rados(["rmomapkey", "ceph_rbd_sr", `act:${other.key}`]);
    await dp("deactivate", v.uri, "2", host(HOST_A));
    await dp("detach", v.uri, "2", host(HOST_A));
  });

  it.each([
    [
      "an activation that never finished",
      (h: string) => JSON.stringify({ host: h, domain: "1", scheme: "rbd+nbd", since: "x", clients: [], starting: true }),
      /never finished/,
    ],
    ["no recorded client", (h: string) => JSON.stringify({ host: h, domain: "1", scheme: "rbd+nbd", since: "x", clients: [] }), /no client of it is recorded/],
    [
      "a malformed client",
      (h: string) => JSON.stringify({ host: h, domain: "1", scheme: "rbd+nbd", since: "x", clients: ["0.0.0.0/0"] }),
      /not a client address/,
    ],
    ["an unreadable record", () => "{not json", /unreadable/],
  ])("refuses %s without --force, and with it clears the activation, blocklisting nothing", async (_what, record, why) => {
    const v = await volume("unknown");
    forge(v.key, record(HOST_C));
    const refused = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_C, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(why);
    expect(refused.stderr).toMatch(/--force/);
    expect(activationText(v.key)).toBeDefined();
    const r = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_C, "--yes", "--force", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { blocklisted: string[] }).blocklisted).toEqual([]);
    expect(activationText(v.key)).toBeUndefined();
  });
});

describe("the activation is claimed before the export starts", () => {
  it("a crash mid-start leaves this host's claim: another host is refused, this one may activate again", async () => {
    const v = await volume("claim");
    const a = nbdOf(await dp<Backend>("attach", v.uri, "5", host(HOST_A)));
    const killed = await runExecutable(
      join(DATAPATH_DIR("rbd+nbd"), "Datapath.activate"),
      JSON.stringify({ dbg: "crash", uri: v.uri, domain: "5" }),
      ["--json"],
      {
        ...host(HOST_A),
        CEPH_RBD_CRASH_AT: "activate:started",
        CEPH_RBD_LOCK_LEASE: "2",
      },
    );
    expect(killed.code, killed.stdout).toBeNull();
    expect(activation(v.key)).toMatchObject({ host: HOST_A, clients: [], starting: true });
    // The crashed process's lock lease runs out: the claim alone keeps host B away.
    await sleep(2500);
    await dp("attach", v.uri, "6", host(HOST_B));
    const e = await failing("activate", v.uri, host(HOST_B));
    expect(e?.params).toEqual(["Activated_on_another_host", HOST_A]);
    await dp("activate", v.uri, "5", host(HOST_A));
    const record = activation(v.key);
    expect(record?.starting).toBeUndefined();
    expect(record?.clients).toEqual(watchers(imageOf(v.uri)));
    io(a, "write -P 0x55 0 1M");
    await dp("detach", v.uri, "6", host(HOST_B));
    await dp("deactivate", v.uri, "5", host(HOST_A));
    await dp("detach", v.uri, "5", host(HOST_A));
    expect(activation(v.key)).toBeUndefined();
  });

  it("a failed start removes the claim and leaves no server", async () => {
    const v = await volume("nostart");
    // A keyring list whose first path works for Ceph's tools but that no configuration file can hold.
    const keyring = ceph("ceph-conf", ["--name", "client.admin", "keyring"]).trim();
    const forged = new URL(v.uri);
    forged.searchParams.set("keyring", `${keyring};/nowhere`);
    const bad = forged.toString();
    const h = host(HOST_D);
    await dp("attach", bad, "5", h);
    const e = await failing("activate", bad, h);
    expect(e?.backtrace.error).toMatch(/cannot go into a Ceph configuration file/);
    expect(activationText(v.key)).toBeUndefined();
    expect(readdirSync(join(h.CEPH_RBD_RUN_DIR, "nbd"))).toEqual([]);
  });
});

describe("no device-config value becomes an option of qemu-storage-daemon", () => {
  // A real keyring at a path that, split on spaces as CEPH_ARGS is, names another keyring and an
  // option: Ceph's tools read it as one path.
  const oddKeyring = (): string => {
    const keyring = `${join(run, "k")} --plugin_dir=${join(run, "plugins-of-an-attacker")}/keyring`;
    mkdirSync(dirname(keyring), { recursive: true });
    copyFileSync(ceph("ceph-conf", ["--name", "client.admin", "keyring"]).trim(), keyring);
    return keyring;
  };

  it("a volume URI whose keyring holds an option is refused by the datapath verbs, and no server starts", async () => {
    const v = await volume("inject-uri");
    const forged = new URL(v.uri);
    forged.searchParams.set("keyring", oddKeyring());
    for (const verb of ["attach", "activate"]) {
      const e = await failing(verb, forged.toString(), host(HOST_E));
      expect(e?.params).toEqual(["Invalid_parameters", expect.stringMatching(/^uri: keyring: /)]);
    }
    const nbdDir = join(run, HOST_E, "nbd");
    expect(existsSync(nbdDir) ? readdirSync(nbdDir) : []).toEqual([]);
  });

  // Behind the URI's check: were such a value to reach the export, it still is one keyring path.
  it("a keyring holding an option reaches librbd as a keyring path, through a private configuration file", async () => {
    const v = await volume("inject");
    const keyring = oddKeyring();
    const dir = mkdtempSync(join(run, "export-"));
    const e = { socket: join(dir, "x.sock"), pidFile: join(dir, "x.pid"), conf: join(dir, "x.conf"), name: v.key };
    const log = createLogger("fence-inject");
    const image = new URL(v.uri).pathname.split("/").pop() ?? "";
    await startExport(
      { cluster: { conf: s.conf, user: "admin", keyring }, pool: s.pool, namespace: s.namespace },
      log,
      decodeURIComponent(image),
      undefined,
      e,
    );
    try {
      const pid = Number(readFileSync(e.pidFile, "utf8"));
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      expect(argv.filter((a) => a.includes("plugin_dir"))).toEqual([]);
      expect(environ.filter((x) => x.startsWith("CEPH_ARGS=") || x.includes("plugin_dir"))).toEqual([]);
      const conf = /(?:^|,)conf=([^,]+)/.exec(argv[argv.indexOf("--blockdev") + 1] ?? "")?.[1] ?? "";
      expect(conf).toBe(e.conf);
      expect(statSync(conf).mode & 0o777).toBe(0o600);
      expect(
        readFileSync(conf, "utf8")
          .split("\n")
          .filter((l) => l.includes("plugin_dir")),
      ).toEqual([`keyring = ${keyring}`]);
      io(`nbd:unix:${e.socket}:exportname=${e.name}`, "write -P 0x66 0 1M");
    } finally {
      await stopExport(e, log);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
