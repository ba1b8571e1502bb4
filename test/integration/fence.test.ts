// Fencing on a real cluster, hosts simulated by identity and run directory: it cuts off the dead
// host's own Ceph client and nothing else, and refuses what it cannot do safely unless told.
import { describe, expect, it } from "vitest";
import { runAdmin } from "../helpers/run-verb.js";
import { HOST_A, HOST_B, HOST_C, s, blocklisted, type Backend, host, ceph, rados, dp, nbdOf, io, imageOf, watchers } from "../helpers/fence-world.js";
import { blocklist, activationText, activation, forge, volume, standIn, fenceWorld } from "../helpers/fence-world.js";

fenceWorld();

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

  it("refuses an address that a host's activation in another SR of the pool holds", async () => {
    const v = await volume("held-elsewhere");
    await dp("attach", v.uri, "4", host(HOST_A));
    await dp("activate", v.uri, "4", host(HOST_A));
    const clients = activation(v.key)?.clients ?? [];
    blocklisted.push(...clients);
    // Another SR's namespace in the same pool, where host C's kernel client (the same address)
    // has a disk mapped.
    const namespace = `sr-fence-other-${process.pid}`;
    const there = (args: string[]) => ceph("rados", ["--pool", s.pool, "--namespace", namespace, ...args]);
    ceph("rbd", ["namespace", "create", "--pool", s.pool, "--namespace", namespace]);
    try {
      const otherKey = "0f0f0f0f-1111-4111-8111-0f0f0f0f0f0f";
      there(["setomapval", "ceph_rbd_sr", `act:${otherKey}`, JSON.stringify({ host: HOST_C, domain: "5", scheme: "rbd", since: "x", clients })]);
      const r = await runAdmin(["fence", "--sr", s.sr, "--key", v.key, "--host", HOST_A, "--yes", "--force"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`host ${HOST_C}'s activation of volume ${otherKey} of the SR in namespace ${namespace} records it too`));
      expect(blocklist()).not.toContain(clients[0]);
      expect(activation(v.key)?.host).toBe(HOST_A);
    } finally {
      there(["rm", "ceph_rbd_sr"]);
      ceph("rbd", ["namespace", "remove", "--pool", s.pool, "--namespace", namespace]);
      // Even after a failed check: no export outlives the test.
      await dp("deactivate", v.uri, "4", host(HOST_A));
      await dp("detach", v.uri, "4", host(HOST_A));
    }
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
