// A pool of three test hosts (test/helpers/hosts: network namespaces on a bridge, each with its
// own INSTALLATION_UUID and /run) on a cluster of the file's own that listens on the bridge.
// SR.attach runs on every host at once; then a mixed load from all of them, checked against a
// client-side model (test/helpers/mixed-load.ts), and a volume of another SR of the pool, written
// before the load, keeps its checksum throughout.
import { describe, expect, it } from "vitest";
import { checkFinal, checkListings, convergeWithGc, type Runner } from "../helpers/mixed-checks.js";
import { drive, figures, mixedLoad } from "../helpers/mixed-load.js";
import { checksum, writePattern } from "../helpers/rbd-data.js";
import { summary } from "../helpers/summary.js";
import type { TestSr, WireVolume } from "../helpers/sr.js";
import type { TestHost } from "../helpers/hosts/host.js";
import { srOfPool } from "../helpers/hosts/ceph.js";
import { noHosts, poolOfHosts, titled, world } from "../helpers/hosts/pool.js";
import { adminOn, callOn, verbOn } from "../helpers/hosts/verbs.js";

// POOL_OPS=<n> (default 300, 900 with RELIABILITY_FULL=1), MIXED_SEED=<n>.
const OPS = Number(process.env.POOL_OPS ?? (process.env.RELIABILITY_FULL === "1" ? 900 : 300));
const SEED = Number(process.env.MIXED_SEED ?? 0x9001) >>> 0;
const WIDTH = 6;
const MiB = 2 ** 20;

poolOfHosts(3);

describe.skipIf(noHosts !== undefined)(titled("a pool of three hosts on one SR"), () => {
  let s: TestSr;
  let other: TestSr;

  it("attaches two SRs on every host at once", async () => {
    s = await srOfPool("load");
    other = await srOfPool("witness");
    for (const h of world.hosts) {
      const ls = await callOn<WireVolume[]>(h, "SR.ls", { sr: s.sr });
      expect(ls).toEqual([]);
    }
  });

  it(`${OPS} mixed verbs from all hosts, ${WIDTH} at a time: nothing lost, no anomaly`, { timeout: 600_000 + OPS * 2500 }, async () => {
    expect(s, "the SR of the first test").toBeDefined();
    const hosts = world.hosts;
    const on = (h: TestHost): Runner => ({
      call: (verb, params, env) => callOn(h, verb, params, env),
      admin: (args, env) => adminOn(h, args, env),
    });
    const witness = await callOn<WireVolume>(hosts[0] as TestHost, "Volume.create", {
      sr: other.sr,
      name: "witness",
      description: "",
      size: 8 * MiB,
      sharable: false,
    });
    writePattern(witness.uri[0] ?? "", 0x5a, 0, 8 * MiB, world.conf);
    const sum = await checksum(witness.uri[0] ?? "", world.conf);
    const load = mixedLoad(s, "", SEED, {
      of: (w) => hosts[w % hosts.length],
      verb: (who, verb, params) => verbOn(who as TestHost, verb, params),
    });
    const { anomalies, perVerb } = load;
    const ms = await drive(load, 3, OPS, WIDTH);
    checkListings(load);
    const survivors = await checkFinal(s, load, on(hosts[1] as TestHost));
    const strays = await convergeWithGc(s, anomalies, on(hosts[2] as TestHost));
    // The witness: not in the model (no worker touches it), its data unchanged.
    if ((await checksum(witness.uri[0] ?? "", world.conf)) !== sum) anomalies.push("the witness volume's data changed");
    console.log(`pool load: ${[...perVerb].map(([v, n]) => `${v} ${n}`).join(", ")}${anomalies.map((a) => `\n  - ${a}`).join("")}`);
    summary("pool-mixed-load", {
      hosts: hosts.length,
      ops: OPS + 3,
      ...figures(load, strays.length, survivors.length, SEED, ms),
    });
    expect(anomalies).toEqual([]);
  });
});
