// The rbd+nbd datapath across a pool of three test hosts (test/helpers/hosts), each with its own
// identity, address and /run: live migration as xapi orders it, repeated round the pool under
// writes, and a host cut off the network while a volume is active on it, fenced from another.
// Data is checked by checksum (rbd export, from outside the hosts) and by reads on the hosts.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { checksum, imageOf } from "../helpers/rbd-data.js";
import { summary } from "../helpers/summary.js";
import type { TestSr, WireVolume } from "../helpers/sr.js";
import { activationOf, blocklisted, srOfPool } from "../helpers/hosts/ceph.js";
import type { TestHost } from "../helpers/hosts/host.js";
import { setLink } from "../helpers/hosts/net.js";
import { noHosts, poolOfHosts, titled, world } from "../helpers/hosts/pool.js";
import { adminOn, callOn, dpFails, dpOn, ioOn, nbdOf, type Backend } from "../helpers/hosts/verbs.js";

const MiB = 2 ** 20;
const SIZE = 16 * MiB;
const ROUNDS = 6;

poolOfHosts(3);

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

// Writes one byte value over [off, off + len) on the host's export, and into the model.
async function write(h: TestHost, nbd: string, model: Buffer, byte: number, off: number, len: number): Promise<void> {
  const r = await ioOn(h, nbd, `write -P 0x${byte.toString(16)} ${off} ${len}`);
  if (!/wrote \d+\/\d+ bytes/.test(r.stdout)) throw new Error(`write on ${h.name} failed: ${r.stdout} ${r.stderr}`);
  model.fill(byte, off, off + len);
}

describe.skipIf(noHosts !== undefined)(titled("a volume moving between hosts"), () => {
  let s: TestSr;
  const volume = async (name: string) => {
    s ??= await srOfPool("datapath", { datapath: "rbd+nbd" });
    const v = await callOn<WireVolume>(world.hosts[0] as TestHost, "Volume.create", { sr: s.sr, name, description: "", size: SIZE, sharable: false });
    return { key: v.key, uri: v.uri.find((u) => u.startsWith("rbd+nbd://")) ?? "", rbd: v.uri[0] ?? "" };
  };

  it(`live-migrates ${ROUNDS} times round the pool as xapi orders it, under writes, losing no byte`, { timeout: 600_000 }, async () => {
    const v = await volume("migrating");
    const model = Buffer.alloc(SIZE);
    const hosts = world.hosts;
    let src = hosts[0] as TestHost;
    let nbd = nbdOf(await dpOn<Backend>(src, "attach", v.uri, "1"));
    await dpOn(src, "activate", v.uri, "1");
    await write(src, nbd, model, 0x10, 0, SIZE);
    const t0 = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const dst = hosts[(round + 1) % hosts.length] as TestHost;
      const domain = String(round + 2);
      // The VM runs on while the destination attaches; then it pauses, and moves.
      const writes = (async () => {
        for (let i = 0; i < 4; i++) await write(src, nbd, model, 0x20 + round * 8 + i, ((round * 4 + i) % 16) * MiB, MiB);
      })();
      const [, attached] = await Promise.all([writes, dpOn<Backend>(dst, "attach", v.uri, domain)]);
      await dpOn(src, "deactivate", v.uri, String(round + 1));
      await dpOn(dst, "activate", v.uri, domain);
      const record = activationOf(s, v.key);
      expect(record?.host).toBe(dst.uuid);
      expect(
        record?.clients.every((c) => c.startsWith(`${dst.addr}:`)),
        JSON.stringify(record),
      ).toBe(true);
      const dstNbd = nbdOf(attached);
      // The source detaches while the VM writes on at the destination.
      await Promise.all([dpOn(src, "detach", v.uri, String(round + 1)), write(dst, dstNbd, model, 0x80 + round, 15 * MiB, MiB)]);
      expect(await checksum(v.rbd, world.conf), `after round ${round}`).toBe(sha(model));
      src = dst;
      nbd = dstNbd;
    }
    const ms = Date.now() - t0;
    await dpOn(src, "deactivate", v.uri, String(ROUNDS + 1));
    await dpOn(src, "detach", v.uri, String(ROUNDS + 1));
    expect(activationOf(s, v.key)).toBeUndefined();
    expect(await checksum(v.rbd, world.conf)).toBe(sha(model));
    summary("pool-migration", {
      hosts: hosts.length,
      migrations: ROUNDS,
      writes: 1 + ROUNDS * 5,
      anomalies: 0,
      seconds_per_migration: (ms / ROUNDS / 1000).toFixed(1),
    });
  });

  it("a host cut off with the volume active: refused elsewhere, fenced, and its late writes never land", { timeout: 600_000 }, async () => {
    const v = await volume("cut-off");
    const [a, b] = world.hosts as [TestHost, TestHost];
    const model = Buffer.alloc(SIZE);
    const nbdA = nbdOf(await dpOn<Backend>(a, "attach", v.uri, "1"));
    await dpOn(a, "activate", v.uri, "1");
    await write(a, nbdA, model, 0x11, 0, SIZE);
    const clientsA = activationOf(s, v.key)?.clients ?? [];
    expect(clientsA.length).toBeGreaterThan(0);
    expect(clientsA.every((c) => c.startsWith(`${a.addr}:`))).toBe(true);

    setLink(world.net, a.index, false);
    let fenceMs = 0;
    let lateWrite = "";
    try {
      const nbdB = nbdOf(await dpOn<Backend>(b, "attach", v.uri, "2"));
      const refused = await dpFails(b, "activate", v.uri, "2");
      expect(refused.params).toEqual(["Activated_on_another_host", a.uuid]);
      const t0 = Date.now();
      const fenced = await adminOn(b, ["fence", "--sr", s.sr, "--key", v.key, "--host", a.uuid, "--yes", "--json"]);
      expect(fenced.code, fenced.stderr.slice(-2000)).toBe(0);
      expect((fenced.json as { blocklisted: string[] }).blocklisted).toEqual(clientsA);
      await dpOn(b, "activate", v.uri, "2");
      fenceMs = Date.now() - t0;
      expect(activationOf(s, v.key)?.host).toBe(b.uuid);
      await write(b, nbdB, model, 0x22, 0, MiB);
      // A, still cut off, writes after the fence: its export holds the write while the link is
      // down, and must not land it once the link is back.
      const late = ioOn(a, nbdA, `write -P 0x33 ${2 * MiB} ${MiB}`, 90_000);
      await sleep(2000);
      setLink(world.net, a.index, true);
      const r = await late;
      lateWrite = `${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 300);
      expect(r.stdout).not.toMatch(/wrote \d+\/\d+ bytes/);
      expect(blocklisted()).toEqual(expect.arrayContaining(clientsA));
      // And a write started after the link is back fails too.
      const again = await ioOn(a, nbdA, `write -P 0x44 ${3 * MiB} ${MiB}`, 90_000);
      expect(again.stdout).not.toMatch(/wrote \d+\/\d+ bytes/);
      expect(await checksum(v.rbd, world.conf)).toBe(sha(model));
      await write(b, nbdB, model, 0x55, 4 * MiB, MiB);
      expect(await checksum(v.rbd, world.conf)).toBe(sha(model));
    } finally {
      setLink(world.net, a.index, true);
    }
    // A's own record is gone, so its deactivate clears nothing of B's.
    await dpOn(a, "deactivate", v.uri, "1");
    expect(activationOf(s, v.key)?.host).toBe(b.uuid);
    await dpOn(a, "detach", v.uri, "1");
    await dpOn(b, "deactivate", v.uri, "2");
    await dpOn(b, "detach", v.uri, "2");
    console.log(`cut-off host's late write: ${lateWrite}; image ${imageOf(v.rbd)}`);
    summary("pool-fence", { hosts: world.hosts.length, anomalies: 0, fence_ms: fenceMs, late_write_landed: false });
  });
});
