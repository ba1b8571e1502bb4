// No device-config value becomes an option of qemu-storage-daemon: a keyring holding one is refused
// in a volume URI, and reaches librbd as a path through a private configuration file.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../plugins/log.js";
import { startExport, stopExport } from "../../plugins/ceph/qsd.js";
import { HOST_D, HOST_E, s, run, host, ceph, dp, failing, io, volume, fenceWorld } from "../helpers/fence-world.js";

fenceWorld();

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

  // Its pid file names a process to signal: deactivate and detach check the directory too.
  it("an export directory others can write is refused by deactivate and detach, and the export keeps running", async () => {
    const v = await volume("unsafe-dir");
    await dp("attach", v.uri, "6", host(HOST_D));
    await dp("activate", v.uri, "6", host(HOST_D));
    const nbdDir = join(run, HOST_D, "nbd");
    const pidFile = readdirSync(nbdDir).find((f) => f.endsWith(".pid")) ?? "";
    const pid = Number(readFileSync(join(nbdDir, pidFile), "utf8"));
    chmodSync(nbdDir, 0o777);
    try {
      for (const verb of ["deactivate", "detach"]) {
        const e = await failing(verb, v.uri, host(HOST_D));
        expect(JSON.stringify(e?.params)).toMatch(/unsafe run directory: .*nbd is writable by other users/);
        expect(readFileSync(`/proc/${pid}/stat`, "utf8")).not.toMatch(/\) Z /);
      }
    } finally {
      chmodSync(nbdDir, 0o700);
      await dp("deactivate", v.uri, "6", host(HOST_D));
      await dp("detach", v.uri, "6", host(HOST_D));
    }
    expect(readdirSync(nbdDir)).toEqual([]);
  });
});
